import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { TransportObserver } from "../transport/transport.js";

/**
 * Airlock's Prometheus metrics, one registry per process (served at /metrics). Services record into the
 * instance they are given; the names are the same whichever process runs them, so dashboards work for
 * the all-in-one process and a distributed deployment alike.
 */
export interface AirlockMetrics {
  readonly registry: Registry;
  /** Events a consumer handled, by topic and consumer group. */
  readonly eventsIn: Counter<"topic" | "group">;
  /** Events published, by topic. */
  readonly eventsOut: Counter<"topic">;
  /** Policy decisions, by action. */
  readonly decisions: Counter<"action">;
  /** Approval requests currently pending. */
  readonly approvalsOpen: Gauge;
  /** Seconds from a tool call's request time to its verdict, by who decided. */
  readonly verdictLatency: Histogram<"decided_by">;
  /** Messages sent to the dead-letter topic, by topic and consumer group. */
  readonly deadLetters: Counter<"topic" | "group">;
}

/** A fresh registry with Airlock's metrics (and Node's default process metrics when `defaults`). */
export function createMetrics(options: { defaults?: boolean } = {}): AirlockMetrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry, prefix: "airlock_" });
  const registers = [registry];
  return {
    registry,
    eventsIn: new Counter({
      name: "airlock_events_in_total",
      help: "Events handled",
      labelNames: ["topic", "group"],
      registers,
    }),
    eventsOut: new Counter({
      name: "airlock_events_out_total",
      help: "Events published",
      labelNames: ["topic"],
      registers,
    }),
    decisions: new Counter({
      name: "airlock_decisions_total",
      help: "Policy decisions",
      labelNames: ["action"],
      registers,
    }),
    approvalsOpen: new Gauge({ name: "airlock_approvals_open", help: "Approval requests pending", registers }),
    verdictLatency: new Histogram({
      name: "airlock_verdict_latency_seconds",
      help: "Tool call request to final verdict",
      labelNames: ["decided_by"],
      // From sub-millisecond policy verdicts to hours-long human approvals.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 900, 3600],
      registers,
    }),
    deadLetters: new Counter({
      name: "airlock_dead_letters_total",
      help: "Messages dead-lettered",
      labelNames: ["topic", "group"],
      registers,
    }),
  };
}

/**
 * A transport observer that counts what every publisher shares: events out and dead letters. Events in
 * are counted by each consuming service, which knows it handled them.
 */
export function metricsObserver(metrics: AirlockMetrics): TransportObserver {
  return {
    published: (topic) => metrics.eventsOut.inc({ topic }),
    deadLettered: (topic, group) => metrics.deadLetters.inc({ topic, group }),
  };
}
