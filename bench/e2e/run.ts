import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connectBroker, type AgentClient } from "@airlock/client";
import { runAirlock, type RunningAirlock } from "@airlock/cli/runtime";
import { loadConfig, PgliteClient, silentLogger, type SqlClient } from "@airlock/shared";
import { createTestDatabase, type TestDatabase } from "@airlock/shared/testing";
import { benchNamespace, tidyNamespace } from "../lib/namespace.js";
import type { BenchResult } from "../lib/result.js";
import { summarize, timeBurst, timeSequential } from "../lib/stats.js";
import { openEcho, type Echo } from "../transport/echo.js";

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

/** Rounds the sequential calls are split into, alternating with the echo's and the floor's (see sample). */
const ROUNDS = 10;

/** Airlock running in this process and an agent over the broker SDK. */
interface Deployment {
  call: (n: number) => Promise<void>;
  /**
   * A one-row INSERT in a transaction of its own (durable commit) on the database the policy decides on;
   * for memory://, on a PGlite of its own, in memory like Airlock's.
   */
  commit: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Every service in this process (or the policy service alone) on one broker, the database PGlite for
 * memory:// and Postgres for the others; an agent connected and warmed up.
 */
async function deploy(name: string, broker: string, policyAlone: boolean): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), "airlock-bench-"));
  const namespace = benchNamespace();
  let db: TestDatabase | undefined;
  let embedded: PgliteClient | undefined;
  let running: RunningAirlock | undefined;
  let agent: AgentClient | undefined;
  const close = async (): Promise<void> => {
    // Whatever stopping throws, the database and the directory still go.
    try {
      await agent?.close();
      await running?.stop();
    } finally {
      try {
        await embedded?.close();
        await db?.drop();
      } finally {
        await rm(dir, { recursive: true, force: true });
        await tidyNamespace(broker, namespace);
      }
    }
  };
  try {
    const policyPath = path.join(dir, "policy.yaml");
    await writeFile(policyPath, POLICY);
    await writeFile(path.join(dir, "reviewers.yaml"), "{}\n");
    db = name === "memory" ? undefined : await createTestDatabase();
    const config = loadConfig({
      AIRLOCK_BROKER: name === "memory" ? `memory://${namespace}` : broker,
      DATABASE_URL: db?.url ?? "pglite://memory",
      AIRLOCK_NAMESPACE: namespace,
      AIRLOCK_DATA_DIR: dir,
      AIRLOCK_POLICY: policyPath,
      AIRLOCK_REVIEWERS: path.join(dir, "reviewers.yaml"),
      AIRLOCK_HTTP_PORT: "0",
      // The policy service alone listens on its own port, not AIRLOCK_HTTP_PORT.
      AIRLOCK_POLICY_PORT: "0",
      LOG_LEVEL: "silent",
    });
    running = await runAirlock({ config, logger: silentLogger(), ...(policyAlone ? { only: "policy" } : {}) });
    const connected = await connectBroker({ agent: "bench-agent", broker: config.AIRLOCK_BROKER, namespace });
    agent = connected;
    const call = async (i: number): Promise<void> => {
      const verdict = await connected.check(
        { tool: i % 2 === 0 ? "search_documents" : "delete_database", args: { i } },
        { timeout: 30_000 },
      );
      if (verdict.decided_by !== "policy") throw new Error(`call ${i}: ${verdict.reason}`);
    };
    for (let i = 0; i < 50; i++) await call(-1 - i);
    let sql: SqlClient;
    if (db) sql = db.sql;
    else sql = embedded = await PgliteClient.open();
    await sql.exec("create table bench_commit (id bigserial primary key, at timestamptz not null default now())");
    const commit = async (): Promise<void> => {
      await sql.query("insert into bench_commit default values");
    };
    return { call, commit, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * One row: the deployment, the echo and the floor (the echo whose consumer makes a durable one-row
 * commit before it replies — the same path as a decision with nothing but its commit, the floor of any
 * design that records a decision before publishing its verdict), sampled alike.
 */
async function measure(
  name: string,
  broker: string,
  options: E2eOptions,
  policyAlone: boolean,
): Promise<Record<string, string | number>> {
  const airlock = await deploy(name, broker, policyAlone);
  try {
    const echo = await openEcho(broker);
    try {
      const floor = await openEcho(broker, airlock.commit);
      try {
        const transport = policyAlone ? `${name}, policy service alone` : name;
        return { transport, ...(await sample(airlock, echo, floor, options)) };
      } finally {
        await floor.close();
      }
    } finally {
      await echo.close();
    }
  } finally {
    await airlock.close();
  }
}

/**
 * Latency of sequential calls beside the echo's and the floor's, in alternating rounds so that a machine
 * getting busier or quieter during the run weighs on all three alike; then the echo's and the calls'
 * throughput in a burst.
 */
async function sample(
  airlock: Deployment,
  echo: Echo,
  floor: Echo,
  options: E2eOptions,
): Promise<Record<string, string | number>> {
  const echoes: number[] = [];
  const floors: number[] = [];
  const calls: number[] = [];
  // Exactly options.calls in all: the first (calls % ROUNDS) rounds take one more.
  let first = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const count = Math.floor(options.calls / ROUNDS) + (round < options.calls % ROUNDS ? 1 : 0);
    echoes.push(...(await timeSequential(echo.roundTrip, count, first)));
    floors.push(...(await timeSequential(floor.roundTrip, count, first)));
    calls.push(...(await timeSequential(airlock.call, count, first)));
    first += count;
  }
  const echoPerS = await timeBurst(echo.roundTrip, options.burst, 1_000_000);
  const callsPerS = await timeBurst(airlock.call, options.burst, 1_000_000);
  const e = summarize(echoes);
  const f = summarize(floors);
  const c = summarize(calls);
  const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : "");
  return {
    echo_p50_ms: e.p50_ms,
    echo_p99_ms: e.p99_ms,
    echo_per_s: echoPerS,
    e2e_p50_ms: c.p50_ms,
    e2e_p99_ms: c.p99_ms,
    e2e_calls_per_s: callsPerS,
    p50_vs_echo: ratio(c.p50_ms, e.p50_ms),
    p99_vs_echo: ratio(c.p99_ms, e.p99_ms),
    floor_p50_ms: f.p50_ms,
    floor_p50_vs_echo: ratio(f.p50_ms, e.p50_ms),
    p50_vs_floor: ratio(c.p50_ms, f.p50_ms),
  };
}

/**
 * Tool call → verdict for allow/deny traffic on each transport, every service in one process (the
 * database is PGlite for memory://, Postgres for the brokers), beside the raw echo round trip of the same
 * broker measured in the same run; for the brokers also with the policy service alone in the process.
 */
export async function runE2eBench(options: E2eOptions): Promise<BenchResult> {
  const rows: BenchResult["rows"] = [];
  for (const [name, broker] of Object.entries(options.brokers)) {
    rows.push(await measure(name, broker, options, false));
    if (name !== "memory") rows.push(await measure(name, broker, options, true));
  }
  return {
    name: "e2e: tool call → verdict (allow/deny)",
    description:
      `An agent (broker SDK) checks ${options.calls} calls one at a time (latency), then ${options.burst} at once (throughput); ` +
      "policy decides, then claims the call, counts it for its run, records the decision and writes its outbox rows in one Postgres statement (durable commit), and publishes the decision and the verdict straight after COMMIT; " +
      "audit records every event. The sequential calls run in " +
      `${ROUNDS} rounds alternating with rounds of the same broker's raw echo and of the floor (see below), all in one process, so all three see the same machine. ` +
      "Goal: p50 within 1.5× and p99 within 2× of the raw echo.",
    rows,
    notes: [
      "floor_p50_ms: the same echo, whose consumer makes a one-row INSERT in a transaction of its own (durable commit) on the Postgres the policy decides on (for memory://, on an in-memory PGlite like Airlock's) before it replies, measured in the same rounds. A decision is recorded durably before its verdict is published, so floor_p50_vs_echo is the least p50 ratio this machine allows, whatever else Airlock does; p50_vs_floor is what Airlock adds to that floor.",
    ],
  };
}
