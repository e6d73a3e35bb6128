import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connectBroker } from "@airlock/client";
import { runAirlock } from "@airlock/cli/runtime";
import { loadConfig, newId, silentLogger } from "@airlock/shared";
import { createTestDatabase } from "@airlock/shared/testing";
import type { BenchResult } from "../lib/result.js";
import { since, summarize } from "../lib/stats.js";
import { echoOnce } from "../transport/echo.js";

/** Options of the end-to-end benchmark. */
export interface E2eOptions {
  brokers: Record<string, string>;
  /** Sequential calls for latency. */
  calls: number;
  /** Calls in flight together for throughput. */
  burst: number;
}

const POLICY = `version: 1
name: bench
defaults: { action: deny }
rules:
  - { name: reads, priority: 10, when: { tool: "search_*" }, action: allow, reason: read-only }
  - { name: drops, priority: 100, when: { tool: delete_database }, action: deny, reason: never }
`;

/** One broker: Airlock running in this process with every service, an agent over the broker SDK. */
async function measure(name: string, broker: string, options: E2eOptions): Promise<Record<string, string | number>> {
  const dir = await mkdtemp(path.join(tmpdir(), "airlock-bench-"));
  const policyPath = path.join(dir, "policy.yaml");
  await writeFile(policyPath, POLICY);
  await writeFile(path.join(dir, "reviewers.yaml"), "{}\n");
  const db = name === "memory" ? undefined : await createTestDatabase();
  const namespace = `bench${newId()
    .slice(0, 8)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")}`;
  const config = loadConfig({
    AIRLOCK_BROKER: name === "memory" ? `memory://${namespace}` : broker,
    DATABASE_URL: db?.url ?? "pglite://memory",
    AIRLOCK_NAMESPACE: namespace,
    AIRLOCK_DATA_DIR: dir,
    AIRLOCK_POLICY: policyPath,
    AIRLOCK_REVIEWERS: path.join(dir, "reviewers.yaml"),
    AIRLOCK_HTTP_PORT: "0",
    LOG_LEVEL: "silent",
  });
  const running = await runAirlock({ config, logger: silentLogger() });
  const agent = await connectBroker({ agent: "bench-agent", broker: config.AIRLOCK_BROKER, namespace });
  try {
    const call = async (i: number): Promise<void> => {
      const verdict = await agent.check(
        { tool: i % 2 === 0 ? "search_documents" : "delete_database", args: { i } },
        { timeout: 30_000 },
      );
      if (verdict.decided_by !== "policy") throw new Error(`call ${i}: ${verdict.reason}`);
    };
    for (let i = 0; i < 50; i++) await call(-1 - i);
    const latencies: number[] = [];
    for (let i = 0; i < options.calls; i++) {
      const start = process.hrtime.bigint();
      await call(i);
      latencies.push(since(start));
    }
    const burstStart = process.hrtime.bigint();
    await Promise.all(Array.from({ length: options.burst }, (_, i) => call(1_000_000 + i)));
    const seconds = since(burstStart) / 1000;
    const summary = summarize(latencies);
    return {
      calls: summary.n,
      p50_ms: summary.p50_ms,
      p99_ms: summary.p99_ms,
      calls_per_s: Math.round(options.burst / seconds),
    };
  } finally {
    await agent.close();
    await running.stop();
    await db?.drop();
  }
}

/**
 * Tool call → verdict for allow/deny traffic on each transport, every service in one process (the
 * database is PGlite for memory://, Postgres for the brokers), beside the raw echo round trip of the same
 * broker measured in the same run.
 */
export async function runE2eBench(options: E2eOptions): Promise<BenchResult> {
  const rows: BenchResult["rows"] = [];
  for (const [name, broker] of Object.entries(options.brokers)) {
    const echo = await echoOnce(broker, { brokers: {}, roundTrips: options.calls, burst: options.burst });
    const e2e = await measure(name, broker, options);
    const ratio = (a: unknown, b: unknown): string =>
      typeof a === "number" && typeof b === "number" && b > 0 ? (a / b).toFixed(2) : "";
    rows.push({
      transport: name,
      echo_p50_ms: echo["p50_ms"] ?? "",
      echo_p99_ms: echo["p99_ms"] ?? "",
      echo_per_s: echo["throughput_per_s"] ?? "",
      e2e_p50_ms: e2e["p50_ms"] ?? "",
      e2e_p99_ms: e2e["p99_ms"] ?? "",
      e2e_calls_per_s: e2e["calls_per_s"] ?? "",
      p50_vs_echo: ratio(e2e["p50_ms"], echo["p50_ms"]),
      p99_vs_echo: ratio(e2e["p99_ms"], echo["p99_ms"]),
    });
  }
  return {
    name: "e2e: tool call → verdict (allow/deny)",
    description:
      `An agent (broker SDK) checks ${options.calls} calls one at a time (latency), then ${options.burst} at once (throughput); ` +
      "policy decides, then claims the call, counts it for its run, records the decision and writes its outbox rows in one Postgres statement (durable commit), and publishes the decision and the verdict straight after COMMIT; " +
      "audit records every event. Goal: p50 within 1.5× and p99 within 2× of the raw echo.",
    rows,
  };
}
