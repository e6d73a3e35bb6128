import { AirlockError, retry, type BackoffPolicy } from "@airlock/shared";

/** How one notification is delivered to one webhook. */
export interface DeliveryOptions {
  fetch: typeof fetch;
  /** Attempts in all, the first included. */
  attempts: number;
  backoff: BackoffPolicy;
  /** Each attempt is abandoned after this long (a receiver that hangs must not hold the notifier). */
  timeoutMs: number;
  /** Aborts the attempt in flight and the waits between attempts (the notifier stopping). */
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** How a delivery ended. */
export type DeliveryResult =
  { ok: true; attempts: number; status: number } | { ok: false; attempts: number; error: unknown };

/** A webhook answered with a status that is not 2xx. */
export class WebhookStatusError extends AirlockError {
  constructor(readonly status: number) {
    // 408, 429 and 5xx may pass; any other answer (a 404 for a deleted Slack hook, a redirect) will not.
    const retriable = status === 408 || status === 429 || status >= 500;
    super(`the webhook answered ${status}`, { code: "webhook_status", retriable });
  }
}

/**
 * POST `body` to `url`, retrying with the shared backoff while the failure may pass (network errors,
 * timeouts, 408, 429, 5xx). Never throws: the result says whether and after how many attempts it worked.
 */
export async function deliverWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  let attempts = 0;
  try {
    const status = await retry(
      async (attempt) => {
        attempts = attempt;
        const signal = options.signal
          ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
          : AbortSignal.timeout(options.timeoutMs);
        // Redirects are not followed: fetch would turn the POST into a GET and drop the body.
        const response = await options.fetch(url, { method: "POST", headers, body, signal, redirect: "manual" });
        // The answer's body is not read; cancelling it frees the connection for the next request.
        await response.body?.cancel();
        if (response.status < 200 || response.status > 299) throw new WebhookStatusError(response.status);
        return response.status;
      },
      {
        attempts: options.attempts,
        backoff: options.backoff,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      },
    );
    return { ok: true, attempts, status };
  } catch (error) {
    return { ok: false, attempts, error };
  }
}
