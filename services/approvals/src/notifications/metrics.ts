import { Counter, type Registry } from "prom-client";

/** The notifier's counters, by webhook (its host and 1-based position in AIRLOCK_WEBHOOKS, never its URL). */
export interface WebhookMetrics {
  /** Notifications a webhook accepted (2xx), whatever the number of attempts. */
  deliveries: Counter<"webhook">;
  /** Notifications given up on after every attempt failed. */
  failures: Counter<"webhook">;
  /** Attempts that failed and were retried. */
  retries: Counter<"webhook">;
}

// Several notifiers may share one process registry (tests, an all-in-one process started twice):
// prom-client refuses a second metric of the same name, so reuse the one already there.
function counter(registry: Registry, name: string, help: string): Counter<"webhook"> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<"webhook">;
  return new Counter({ name, help, labelNames: ["webhook"], registers: [registry] });
}

/** The webhook counters on `registry`, created on first use. */
export function webhookMetrics(registry: Registry): WebhookMetrics {
  return {
    deliveries: counter(registry, "airlock_webhook_deliveries_total", "Webhook notifications delivered"),
    failures: counter(registry, "airlock_webhook_failures_total", "Webhook notifications given up after retries"),
    retries: counter(registry, "airlock_webhook_retries_total", "Webhook attempts that failed and were retried"),
  };
}
