import type { BenchResult } from "../lib/result.js";
import { quantile } from "../lib/stats.js";
import { settleAndCheck, type RunFigures } from "./invariants.js";
import { memoryTrend, scrapeRss, type MemorySample, type MemoryTrend } from "./memory.js";
import type { CallKind } from "./policy.js";
import { SERVICES, type ServiceName } from "./processes.js";
import { startProcessStack } from "./stack.js";
import { Workload, type CallRecord } from "./workload.js";

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** amqp://… or kafka://… on this machine. Default: AIRLOCK_SOAK_BROKER, else the local RabbitMQ. */
  broker?: string;
  /** How long calls are made. Default: AIRLOCK_SOAK_DURATION seconds, else 60. */
  durationMs?: number;
  /** Calls in flight at once: the soak runs as fast as the stack answers them (closed loop). Default 64. */
  concurrency?: number;
  /** Time left out of the memory trend while caches and JIT warm up. Default a fifth of the run, at least 3 s. */
  warmupMs?: number;
  /** How often each service's RSS is read. Default 2 s. */
  sampleEveryMs?: number;
  mix?: Partial<Record<CallKind, number>>;
}

/** What a soak measured. */
export interface SoakFigures {
  broker: string;
  duration_s: number;
  concurrency: number;
  calls: number;
  /** Calls answered per second after warm-up. */
  calls_per_second: number;
  /** From check() to verdict: calls the policy decides alone, and escalations decided by reviewers' votes. */
  latency_ms: Record<"policy" | "approval", { n: number; p50: number; p90: number; p99: number; max: number }>;
  memory: Record<ServiceName, MemoryTrend>;
  /** The run's promises, as the fault runs check them. */
  checks: RunFigures;
  violations: string[];
}

/** A soak's BenchResult, with the raw figures for tests and RELIABILITY.md. */
export interface SoakResult extends BenchResult {
  figures: SoakFigures;
}

/** Mostly calls the policy decides alone, with every approval path in the stream. */
const SOAK_MIX: Partial<Record<CallKind, number>> = {
  read: 60,
  drop: 20,
  transfer_approve: 5,
  email_approve: 3,
  email_veto: 4,
  self_approval: 3,
  wrong_digest_vote: 3,
  page_expires: 2,
};

const POLICY_KINDS = new Set<CallKind>(["read", "drop"]);

/**
 * A bounded soak on loopback: the four services as separate processes on a real broker and Postgres,
 * calls from broker-connected agents as fast as the stack answers `concurrency` of them at once, reviewers
 * voting through the API; each service's RSS sampled from its /metrics; then every call's verdict and
 * every event checked as the fault runs check them (nothing lost, nothing twice, outboxes drained, no
 * dead letters, no agent left waiting: no consumer stuck).
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const broker = options.broker ?? process.env["AIRLOCK_SOAK_BROKER"] ?? "amqp://guest:guest@127.0.0.1:5672";
  const durationMs = options.durationMs ?? Number(process.env["AIRLOCK_SOAK_DURATION"] ?? 60) * 1000;
  const concurrency = options.concurrency ?? 64;
  const warmupMs = options.warmupMs ?? Math.max(3000, durationMs / 5);
  const sampleEveryMs = options.sampleEveryMs ?? 2000;
  // warn: a log line per vote and per request, at thousands per second, would measure the logger.
  const stack = await startProcessStack({ broker, env: { LOG_LEVEL: "warn" } });
  try {
    const workload = await Workload.connect({
      broker,
      namespace: stack.namespace,
      gateway: () => stack.url,
      reviewers: stack.reviewers,
      concurrency,
      mix: options.mix ?? SOAK_MIX,
      checkTimeoutMs: 30_000,
    });
    try {
      const samples = new Map<ServiceName, MemorySample[]>(SERVICES.map((name) => [name, []]));
      const sample = async (): Promise<void> => {
        const at = workload.elapsedMs();
        await Promise.all(
          SERVICES.map(async (name) => {
            const rss = await scrapeRss(stack.processes.url(name)).catch(() => undefined);
            if (rss !== undefined) samples.get(name)!.push({ at_ms: at, rss_bytes: rss });
          }),
        );
      };
      const started = workload.elapsedMs();
      workload.run();
      const end = started + durationMs;
      while (workload.elapsedMs() < end) {
        await sample();
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(sampleEveryMs, Math.max(0, end - workload.elapsedMs()))),
        );
      }
      await sample();
      await workload.stop();
      const report = await settleAndCheck({ url: stack.url, sql: stack.sql, workload });
      const calls = [...workload.calls.values()];
      const crashes = stack.processes.crashes();
      const figures: SoakFigures = {
        broker: broker.split(":")[0]!,
        duration_s: Math.round(durationMs / 1000),
        concurrency,
        calls: calls.length,
        calls_per_second: throughput(calls, started + warmupMs, end),
        latency_ms: {
          policy: latency(calls.filter((c) => POLICY_KINDS.has(c.kind))),
          // page_oncall waits out its 2 s timeout by design: it measures the sweeper, not the service.
          approval: latency(calls.filter((c) => !POLICY_KINDS.has(c.kind) && c.kind !== "page_expires")),
        },
        memory: Object.fromEntries(
          SERVICES.map((name) => [name, memoryTrend(samples.get(name)!, started + warmupMs)]),
        ) as Record<ServiceName, MemoryTrend>,
        checks: report.figures,
        violations: [
          ...report.violations,
          ...crashes.map((c) => `${c.service} exited by itself (${c.code ?? c.signal})`),
        ],
      };
      return toResult(figures);
    } finally {
      await workload.close();
    }
  } finally {
    await stack.stop();
  }
}

function answered(calls: readonly CallRecord[]): CallRecord[] {
  return calls.filter((c) => c.state === "answered" && c.verdict?.decided_by !== "client" && !c.probe);
}

function throughput(calls: readonly CallRecord[], fromMs: number, toMs: number): number {
  const done = answered(calls).filter((c) => {
    const at = c.startedMs + (c.latencyMs ?? 0);
    return at >= fromMs && at <= toMs;
  }).length;
  return Math.round((done / Math.max(1, toMs - fromMs)) * 1000 * 10) / 10;
}

function latency(calls: readonly CallRecord[]): SoakFigures["latency_ms"]["policy"] {
  const sorted = answered(calls)
    .map((c) => c.latencyMs ?? 0)
    .sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    n: sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p90: round(quantile(sorted, 0.9)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

function toResult(f: SoakFigures): SoakResult {
  const lat = (l: SoakFigures["latency_ms"]["policy"]): string => `${l.p50} / ${l.p90} / ${l.p99} / ${l.max} ms`;
  const rows: BenchResult["rows"] = [
    {
      measure: "throughput after warm-up",
      value: `${f.calls_per_second} calls/s`,
      detail: `${f.calls} calls in ${f.duration_s} s, ${f.concurrency} in flight`,
    },
    {
      measure: "policy verdict latency p50 / p90 / p99 / max",
      value: lat(f.latency_ms.policy),
      detail: `${f.latency_ms.policy.n} calls`,
    },
    {
      measure: "approval verdict latency p50 / p90 / p99 / max",
      value: lat(f.latency_ms.approval),
      detail: `${f.latency_ms.approval.n} calls, votes over HTTP`,
    },
    ...SERVICES.map((name) => {
      const m = f.memory[name];
      return {
        measure: `RSS of ${name}`,
        value: `${m.start_mb} → ${m.end_mb} MB (${m.growth >= 0 ? "+" : ""}${Math.round(m.growth * 100)} %)`,
        detail: `${m.slope_mb_per_min} MB/min over ${m.samples} samples`,
      };
    }),
    { measure: "events recorded in the audit log", value: f.checks.audit_entries, detail: "every one verified" },
    {
      measure: "lost / duplicate verdicts / dead letters",
      value: `${f.checks.events_lost} / ${f.checks.duplicate_verdicts_seen_by_agents} / ${f.checks.dead_letters}`,
      detail: `outbox rows left ${f.checks.outbox_rows_left}`,
    },
    {
      measure: "agents left waiting (consumer stuck)",
      value: f.checks.client_timeouts,
      detail: f.violations.length === 0 ? "no broken promise" : f.violations.slice(0, 3).join("; "),
    },
  ];
  return {
    name: "soak",
    description: `A bounded soak on ${f.broker}: the four services as separate processes on loopback, calls as fast as they are answered (${f.concurrency} in flight), memory read from each service's /metrics.`,
    rows,
    notes: [
      "Latency is from the agent SDK's check() to its verdict, through the broker, the policy (and for escalations the approvals service and the reviewers' HTTP votes).",
      "Memory is the median RSS of the first and last third of the samples after warm-up; the slope is a least-squares fit.",
    ],
    figures: f,
  };
}
