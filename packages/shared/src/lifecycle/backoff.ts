import { isRetriable } from "../errors.js";

/** How a retrier waits between attempts. */
export interface BackoffPolicy {
  /** The first delay, in ms. */
  initialMs: number;
  /** The longest delay, in ms. */
  maxMs: number;
  /** The growth factor between attempts. */
  factor: number;
  /** 0..1: how much of each delay is random, so many retriers don't retry in step. */
  jitter: number;
}

/** Delays (ms, before jitter): 100, 200, 400, 800, 1600, 3200, 5000, 5000 … */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };

/**
 * The delay before retry number `attempt` (1-based). `random` is injected so tests are deterministic.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}

/** Resolves after `ms`, or at once when the signal aborts. For backoff waits, never for synchronisation. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  backoff?: BackoffPolicy;
  signal?: AbortSignal;
  /** Called before each wait, to log. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Run `fn` until it succeeds, it throws a non-retriable error, the attempts run out, or the signal
 * aborts; then rethrow the last error.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !isRetriable(error) || options.signal?.aborted) throw error;
      const wait = backoffDelay(attempt, options.backoff);
      options.onRetry?.(error, attempt, wait);
      await delay(wait, options.signal);
    }
  }
}
