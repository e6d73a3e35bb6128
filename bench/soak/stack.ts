import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createReviewer, type Reviewer } from "@airlock/client";
import { formatPublicKey, generateReviewerKeyPair, reviewersFileLine, type SqlClient } from "@airlock/shared";
import { createTestDatabase, tidyBroker, uniqueNamespace } from "@airlock/shared/testing";
import { WORKLOAD_POLICY, WORKLOAD_REVIEWERS } from "./policy.js";
import { ServiceProcesses } from "./processes.js";

/** Options of {@link startProcessStack}. */
export interface ProcessStackOptions {
  /** amqp://… or kafka://… (memory:// cannot cross processes). */
  broker: string;
  /** Policy text (YAML); default the workload's. */
  policy?: string;
  /** Extra environment for every service (LOG_LEVEL, AIRLOCK_MODE …). */
  env?: Record<string, string>;
  /** Rewrite the database URL the services get, e.g. to carry a password. */
  databaseUrl?: (url: string) => string;
  /** Lines of output kept per service (default 300). */
  keepLines?: number;
}

/** Airlock as separate processes on a real broker and a fresh Postgres database, with handles for faults. */
export interface ProcessStack {
  readonly broker: string;
  /** Prefix of every topic, queue and group of this stack. */
  readonly namespace: string;
  readonly databaseUrl: string;
  /** A client on the stack's database, for checks the HTTP API does not offer (outbox rows). */
  readonly sql: SqlClient;
  readonly processes: ServiceProcesses;
  /** Reviewers with their private keys, as registered in the stack's reviewers file. */
  readonly reviewers: Map<string, Reviewer>;
  /** The gateway's URL now (it changes when the gateway is restarted). */
  readonly url: string;
  /** The policy file the policy service watches. */
  readonly policyPath: string;
  /** AIRLOCK_DATA_DIR of the services (the audit signing key is generated here). */
  readonly dataDir: string;
  /**
   * `pg_terminate_backend` every session on the stack's database but this one — what a Postgres failover
   * or a network cut does to the services' pools. Resolves with the number of sessions ended.
   */
  dropDatabaseConnections(): Promise<number>;
  /** Stop the services, drop the database, remove the files. */
  stop(): Promise<void>;
}

/**
 * Start the four services (`airlock start --only …`) against `broker` and a new database, each its own
 * process. Needs the build (`npx tsc -b`).
 */
export async function startProcessStack(options: ProcessStackOptions): Promise<ProcessStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "airlock-soak-"));
  const reviewers = new Map<string, Reviewer>();
  const lines: string[] = [];
  for (const id of WORKLOAD_REVIEWERS) {
    const pair = generateReviewerKeyPair();
    reviewers.set(id, createReviewer(id, pair.privateKey));
    lines.push(reviewersFileLine(id, formatPublicKey(pair.publicKey)));
  }
  const reviewersPath = path.join(dataDir, "reviewers.yaml");
  const policyPath = path.join(dataDir, "policy.yaml");
  await writeFile(reviewersPath, lines.join("\n") + "\n");
  await writeFile(policyPath, options.policy ?? WORKLOAD_POLICY);
  const db = await createTestDatabase();
  const namespace = uniqueNamespace("soak");
  const processes = new ServiceProcesses({
    ...(options.keepLines === undefined ? {} : { keepLines: options.keepLines }),
    env: {
      PATH: process.env["PATH"],
      AIRLOCK_BROKER: options.broker,
      DATABASE_URL: options.databaseUrl ? options.databaseUrl(db.url) : db.url,
      AIRLOCK_NAMESPACE: namespace,
      AIRLOCK_DATA_DIR: dataDir,
      AIRLOCK_POLICY: policyPath,
      AIRLOCK_REVIEWERS: reviewersPath,
      AIRLOCK_CHECKPOINT_INTERVAL: "1s",
      LOG_LEVEL: "info",
      ...options.env,
    },
  });
  const stop = async (): Promise<void> => {
    try {
      await processes.stop();
    } finally {
      await tidyBroker(options.broker, [namespace]);
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  };
  try {
    await processes.startAll();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    broker: options.broker,
    namespace,
    databaseUrl: db.url,
    sql: db.sql,
    processes,
    reviewers,
    policyPath,
    dataDir,
    get url() {
      return processes.url("gateway");
    },
    dropDatabaseConnections: async () => {
      const { rows } = await db.sql.query<{ n: number }>(
        `select count(*)::int as n from (
           select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()) as ended`,
      );
      return rows[0]?.n ?? 0;
    },
    stop,
  };
}
