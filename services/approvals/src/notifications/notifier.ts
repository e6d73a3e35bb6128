import {
  AirlockError,
  DEFAULT_BACKOFF,
  TOPICS,
  stopOnce,
  type AirlockEvent,
  type BackoffPolicy,
  type Logger,
  type RunningService,
  type ServiceDeps,
  type Subscription,
} from "@airlock/shared";
import { deliverWebhook } from "./deliver.js";
import { approvalNotification } from "./message.js";
import { webhookMetrics, type WebhookMetrics } from "./metrics.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhookBody } from "./signature.js";

/** The notifier's consumer group: its own, so a slow webhook never holds back the approvals group. */
export const NOTIFIER_GROUP = "notifier";

/** What the notifier needs: the broker, the config (AIRLOCK_URL for links), logs, metrics, and its webhooks. */
export interface NotifierDeps extends Pick<ServiceDeps, "config" | "transport" | "logger" | "metrics"> {
  /** Webhook URLs (AIRLOCK_WEBHOOKS). With none, the notifier subscribes to nothing. */
  webhooks: readonly string[];
  /** HMAC key of X-Airlock-Signature; default AIRLOCK_WEBHOOK_SECRET. Without one, requests are unsigned. */
  secret?: string;
  fetch?: typeof fetch;
  /** Attempts per webhook and notification, the first included. Default 5. */
  attempts?: number;
  /** Waits between attempts; default the shared backoff (100, 200, 400, 800 ms …). */
  backoff?: BackoffPolicy;
  /** One attempt's time limit. Default 10 s. */
  timeoutMs?: number;
  now?: () => Date;
}

interface Target {
  url: string;
  /** What logs and metrics call it: a webhook URL often holds its token (Slack's do), so never the URL. */
  name: string;
}

function targetsOf(webhooks: readonly string[]): Target[] {
  return webhooks.map((url, index) => ({ url, name: `${new URL(url).host}#${index + 1}` }));
}

/**
 * Tell chat channels and other receivers when an approval opens: on each `approval.opened`, POST a
 * Slack-compatible body with a generic `airlock` object to every webhook, signed with HMAC-SHA256, each
 * retried with backoff a bounded number of times; a webhook that still fails is logged and counted
 * (airlock_webhook_failures_total), and the event is done with. Consumes in its own group, so the
 * approval flow never waits on a webhook.
 */
export async function startNotifier(deps: NotifierDeps): Promise<RunningService> {
  const log = deps.logger.child({ service: "approvals", module: "notifier" });
  const targets = targetsOf(deps.webhooks);
  if (targets.length === 0) return { name: "notifier", stop: () => Promise.resolve() };
  const secret = deps.secret ?? deps.config.AIRLOCK_WEBHOOK_SECRET;
  if (secret === undefined) log.warn("AIRLOCK_WEBHOOK_SECRET is not set: webhook requests are not signed");
  const metrics = webhookMetrics(deps.metrics.registry);
  const now = deps.now ?? (() => new Date());
  const stopping = new AbortController();
  const settings = {
    fetch: deps.fetch ?? fetch,
    attempts: deps.attempts ?? 5,
    backoff: deps.backoff ?? DEFAULT_BACKOFF,
    timeoutMs: deps.timeoutMs ?? 10_000,
  };

  const notify = async (event: AirlockEvent<"airlock.approval.opened">): Promise<void> => {
    const at = now();
    // A new consumer group may start at the beginning of the topic: a request that has already expired
    // was decided long ago, and pinging a channel about it would only mislead.
    if (Date.parse(event.data.expires_at) <= at.getTime()) {
      log.debug({ event_id: event.id, subject: event.subject }, "approval already expired; not notifying");
      return;
    }
    const body = JSON.stringify(approvalNotification(event, { consoleBaseUrl: deps.config.AIRLOCK_URL, sentAt: at }));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "airlock-notifier",
      "x-airlock-event": "approval.opened",
      "x-airlock-delivery": event.id,
      [TIMESTAMP_HEADER]: String(Math.floor(at.getTime() / 1000)),
      ...(secret === undefined ? {} : { [SIGNATURE_HEADER]: signWebhookBody(body, secret) }),
    };
    await Promise.all(targets.map((target) => send(target, event, body, headers)));
    if (stopping.signal.aborted) {
      // Deliveries were cut short by stop(): leave the event unacknowledged so another member (or the
      // next start) sends it. A receiver may see it twice; `x-airlock-delivery` lets it dedupe.
      throw new AirlockError("notifier stopped mid-delivery; left for redelivery", { code: "closed", retriable: true });
    }
  };

  const send = async (
    target: Target,
    event: AirlockEvent<"airlock.approval.opened">,
    body: string,
    headers: Record<string, string>,
  ): Promise<void> => {
    const context = { webhook: target.name, event_id: event.id, subject: event.subject };
    const result = await deliverWebhook(target.url, body, headers, {
      ...settings,
      signal: stopping.signal,
      onRetry: (error, attempt, delayMs) => {
        metrics.retries.inc({ webhook: target.name });
        log.warn({ ...context, err: error, attempt, retry_in_ms: delayMs }, "webhook attempt failed; retrying");
      },
    });
    // Cut short by stop(): neither delivered nor failed; the event is left for redelivery (below).
    if (!result.ok && stopping.signal.aborted) log.info(context, "webhook delivery cut short by shutdown");
    else record(metrics, log, target, context, result);
  };

  const subscription: Subscription = await deps.transport.subscribe({
    group: NOTIFIER_GROUP,
    topics: [TOPICS.approvals],
    handler: async (event) => {
      if (event.type === "airlock.approval.opened") await notify(event);
    },
  });
  log.info({ webhooks: targets.map((target) => target.name) }, "notifier started");
  return {
    name: "notifier",
    stop: stopOnce(async () => {
      stopping.abort();
      await subscription.close();
    }),
  };
}

function record(
  metrics: WebhookMetrics,
  log: Logger,
  target: Target,
  context: Record<string, unknown>,
  result: Awaited<ReturnType<typeof deliverWebhook>>,
): void {
  if (result.ok) {
    metrics.deliveries.inc({ webhook: target.name });
    log.debug({ ...context, attempts: result.attempts, status: result.status }, "webhook notified");
  } else {
    metrics.failures.inc({ webhook: target.name });
    log.error({ ...context, err: result.error, attempts: result.attempts }, "webhook notification failed");
  }
}
