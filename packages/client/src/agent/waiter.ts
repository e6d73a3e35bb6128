import type { AirlockEvent } from "@airlock/shared";

interface Waiting {
  /** Ends the wait: with the verdict, or with undefined when it is given up. */
  resolve: (event: AirlockEvent<"airlock.verdict.final"> | undefined) => void;
}

/**
 * Matches `verdict.final` events to the calls waiting for them, by call id. A verdict that arrives before
 * anyone waits (a fast policy, a redelivery) is kept briefly, so `wait` after `publish` never misses it.
 */
export class VerdictWaiter {
  readonly #waiting = new Map<string, Waiting>();
  readonly #early = new Map<string, AirlockEvent<"airlock.verdict.final">>();
  /** How many early verdicts to keep; the oldest go first. */
  readonly #earlyLimit: number;

  constructor(earlyLimit = 10_000) {
    this.#earlyLimit = earlyLimit;
  }

  /** Feed every verdict event here. Redelivered duplicates (same call) after the first are ignored. */
  deliver(event: AirlockEvent<"airlock.verdict.final">): void {
    const callId = event.data.call_id;
    const waiting = this.#waiting.get(callId);
    if (waiting) {
      this.#waiting.delete(callId);
      waiting.resolve(event);
      return;
    }
    this.#early.set(callId, event);
    if (this.#early.size > this.#earlyLimit) this.#early.delete(this.#early.keys().next().value as string);
  }

  /** Register interest in a call before publishing it. Resolves with its verdict, or undefined on timeout/abort. */
  wait(
    callId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AirlockEvent<"airlock.verdict.final"> | undefined> {
    const early = this.#early.get(callId);
    if (early) {
      this.#early.delete(callId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const finish = (event: AirlockEvent<"airlock.verdict.final"> | undefined): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiting.delete(callId);
        resolve(event);
      };
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(callId, { resolve: finish });
      if (signal?.aborted) finish(undefined);
    });
  }

  /**
   * Stop waiting for a call: its `wait` resolves with undefined now (unless its verdict came already).
   * For a call that will get no verdict, such as one whose publish failed, without an AbortSignal per call.
   */
  forget(callId: string): void {
    this.#waiting.get(callId)?.resolve(undefined);
  }

  /** Calls still waiting. */
  get pending(): number {
    return this.#waiting.size;
  }
}
