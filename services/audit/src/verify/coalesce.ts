/** Bounds of a {@link Coalescer}. */
export interface CoalescerLimits {
  /** Tasks running at once, whatever their keys. */
  running: number;
  /** Keys waiting for a free slot; past this, `run` answers undefined at once (busy). */
  waiting: number;
}

/**
 * Runs a costly task (a full verification) at most once at a time per key, on behalf of every caller:
 * a caller that arrives while the key's task runs shares the next run, which starts when that one ends
 * — so each answer covers everything committed before its caller asked, and a thousand requests cost two
 * runs, not a thousand. Across keys at most `limits.running` run at once and `limits.waiting` more wait;
 * beyond that the caller is told the server is busy rather than queued without bound.
 */
export class Coalescer<T> {
  readonly #limits: CoalescerLimits;
  readonly #running = new Map<string, Promise<T>>();
  readonly #next = new Map<string, Promise<T>>();
  readonly #slotWaiters: Array<() => void> = [];
  #active = 0;

  constructor(limits: CoalescerLimits) {
    this.#limits = limits;
  }

  /** The result of a run of `task` that starts after this call; undefined when too many keys wait. */
  run(key: string, task: () => Promise<T>): Promise<T> | undefined {
    const queued = this.#next.get(key);
    if (queued) return queued;
    const running = this.#running.get(key);
    if (this.#next.size >= this.#limits.waiting) return undefined;
    const after = running ? running.then(noop, noop) : Promise.resolve();
    const next = after.then(async () => {
      await this.#slot();
      this.#next.delete(key);
      const current = this.#start(task);
      this.#running.set(key, current);
      try {
        return await current;
      } finally {
        if (this.#running.get(key) === current) this.#running.delete(key);
      }
    });
    this.#next.set(key, next);
    return next;
  }

  async #slot(): Promise<void> {
    while (this.#active >= this.#limits.running) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    this.#active++;
  }

  async #start(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      this.#active--;
      this.#slotWaiters.shift()?.();
    }
  }
}

function noop(): void {}
