/**
 * The handlers one member is running: how many (the prefetch bound), a wait for room, a wait for all of them.
 * Tracked tasks must not reject; a member records each outcome itself.
 */
export class InFlight {
  readonly #running = new Set<Promise<void>>();
  readonly #waiters = new Set<() => void>();

  /** Handlers running now. */
  get size(): number {
    return this.#running.size;
  }

  /** Count `task` until it settles. */
  track(task: Promise<void>): void {
    this.#running.add(task);
    const done = (): void => {
      this.#running.delete(task);
      this.wake();
    };
    void task.then(done, done);
  }

  /** Resolves when a handler settles, on {@link wake}, or after `ms`, whichever comes first. */
  settledOrAfter(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  /** Release every waiter now (the member is stopping; it will look at its state again). */
  wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves when no handler is running, including ones started while waiting. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
