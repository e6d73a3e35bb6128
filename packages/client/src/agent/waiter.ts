import type { AirlockEvent } from "@airlock/shared";

/** What binds a verdict to a call: a verdict naming another agent or action is not this call's. */
export interface CallKey {
  call_id: string;
  agent_id: string;
  action_digest: string;
}

interface Waiting {
  /** Ends the wait: with the verdict, or with undefined when it is given up. */
  resolve: (event: AirlockEvent<"airlock.verdict.final"> | undefined) => void;
}

/** The map key of a call: all three parts, so that reusing a call id never finds another call's verdict. */
function keyOf(call: CallKey): string {
  return JSON.stringify([call.call_id, call.agent_id, call.action_digest]);
}

/**
 * Matches `verdict.final` events to the calls waiting for them, by call id, agent id and action digest
 * together: keyed by call id alone, a second call reusing an id (`delete_database`) was handed the first
 * call's verdict (`reports.quarterly`, allowed). A verdict that arrives before anyone waits (a fast
 * policy, a redelivery) is kept briefly, so `wait` after `publish` never misses it.
 */
export class VerdictWaiter {
  // Every wait for a call, so that one that ends (a timeout) never leaves or restores another's entry.
  readonly #waiting = new Map<string, Set<Waiting>>();
  readonly #early = new Map<string, AirlockEvent<"airlock.verdict.final">>();
  // How many waits each call id has: a second wait for an id already waited on is another call reusing it.
  readonly #callIds = new Map<string, number>();
  // Call ids whose verdict passed by lately (as many as early verdicts are kept): the audit log, where a
  // gateway looks a call id up, lags the verdict feed by up to a batch.
  readonly #decided = new Set<string>();
  /** How many early verdicts to keep; the oldest go first. */
  readonly #earlyLimit: number;

  constructor(earlyLimit = 10_000) {
    this.#earlyLimit = earlyLimit;
  }

  /** Feed every verdict event here. Redelivered duplicates (same call) after the first are ignored. */
  deliver(event: AirlockEvent<"airlock.verdict.final">): void {
    const key = keyOf(event.data);
    this.#decided.delete(event.data.call_id);
    this.#decided.add(event.data.call_id);
    if (this.#decided.size > this.#earlyLimit) this.#decided.delete(this.#decided.values().next().value as string);
    const waiting = this.#waiting.get(key);
    if (waiting) {
      // One verdict ends every wait for the same call (two requests waiting on one call id and action).
      for (const entry of [...waiting]) entry.resolve(event);
      return;
    }
    this.#early.set(key, event);
    if (this.#early.size > this.#earlyLimit) this.#early.delete(this.#early.keys().next().value as string);
  }

  /** Whether a call with this id is waited for now, or had its verdict lately (whatever its agent and action). */
  isKnown(callId: string): boolean {
    return (this.#callIds.get(callId) ?? 0) > 0 || this.#decided.has(callId);
  }

  /**
   * Register interest in a call before publishing it. Resolves with its verdict — one naming exactly this
   * call id, agent and action digest — or undefined on timeout/abort.
   */
  wait(
    call: CallKey,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AirlockEvent<"airlock.verdict.final"> | undefined> {
    const key = keyOf(call);
    const early = this.#early.get(key);
    if (early) {
      this.#early.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      let done = false;
      const finish = (event: AirlockEvent<"airlock.verdict.final"> | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const waits = this.#waiting.get(key);
        waits?.delete(entry);
        if (waits?.size === 0) this.#waiting.delete(key);
        const left = (this.#callIds.get(call.call_id) ?? 1) - 1;
        if (left > 0) this.#callIds.set(call.call_id, left);
        else this.#callIds.delete(call.call_id);
        resolve(event);
      };
      const entry: Waiting = { resolve: finish };
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      const waits = this.#waiting.get(key);
      if (waits) waits.add(entry);
      else this.#waiting.set(key, new Set([entry]));
      this.#callIds.set(call.call_id, (this.#callIds.get(call.call_id) ?? 0) + 1);
      if (signal?.aborted) finish(undefined);
    });
  }

  /**
   * Stop waiting for a call: its `wait` resolves with undefined now (unless its verdict came already).
   * For a call that will get no verdict, such as one whose publish failed, without an AbortSignal per call.
   */
  forget(call: CallKey): void {
    for (const entry of [...(this.#waiting.get(keyOf(call)) ?? [])]) entry.resolve(undefined);
  }

  /** Calls still waiting. */
  get pending(): number {
    return this.#waiting.size;
  }
}
