import type { KeyObject } from "node:crypto";
import {
  PgClient,
  TOPICS,
  createMetrics,
  createTransport,
  formatPublicKey,
  generateReviewerKeyPair,
  loadConfig,
  migrate,
  parseReviewersFile,
  reviewersFileLine,
  silentLogger,
  type AirlockEvent,
  type AirlockMetrics,
  type RunningService,
  type SqlClient,
  type Transport,
} from "@airlock/shared";
import { createPgliteDatabase, createTestDatabase, tidyBroker, uniqueNamespace } from "@airlock/shared/testing";
import { MIGRATIONS, startApprovalsService } from "../../src/index.js";

// One approvals deployment for an integration test: a fresh database on the real Postgres, a transport
// with a namespace of its own, N service instances, and collectors of what the service publishes.

/** Brokers the integration tests run over: AIRLOCK_TEST_BROKERS (comma-separated names), default all three. */
export function brokersUnderTest(): Array<{ name: string; url: string }> {
  const urls: Record<string, string> = {
    memory: "memory://",
    amqp: process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
    kafka: process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092",
  };
  const names = (process.env["AIRLOCK_TEST_BROKERS"] ?? "memory,amqp,kafka").split(",").map((name) => name.trim());
  return names.map((name) => {
    const url = urls[name];
    if (!url) throw new Error(`AIRLOCK_TEST_BROKERS: unknown broker "${name}"`);
    return { name, url };
  });
}

/**
 * Reviewers with keys: alice, bob, carol (the pool), dave (the requester), erin (registered, in no pool),
 * zoë (for ids in several spellings).
 */
export const PEOPLE = ["alice", "bob", "carol", "dave", "erin", "zo\u00eb"] as const;
export type Person = (typeof PEOPLE)[number];
const KEYS = new Map<string, KeyObject>();
const lines = PEOPLE.map((person) => {
  const pair = generateReviewerKeyPair();
  KEYS.set(person, pair.privateKey);
  return reviewersFileLine(person, formatPublicKey(pair.publicKey));
});
/** The registered reviewers' public keys, parsed from a reviewers file as the service gets them. */
export const REVIEWERS = parseReviewersFile(lines.join("\n"));

/** The private key of a test reviewer. */
export function keyOf(person: string): KeyObject {
  const key = KEYS.get(person);
  if (!key) throw new Error(`no key for ${person}`);
  return key;
}

/** Options of {@link startDeployment}. */
export interface DeploymentOptions {
  brokerUrl: string;
  /** `pg` (default): a fresh database on the real Postgres; `pglite`: the embedded engine, in memory. */
  database?: "pg" | "pglite";
  mode?: "interactive" | "headless";
  /** Service instances sharing the database and consumer group, each with its own connection pool. */
  instances?: number;
  sweepIntervalMs?: number;
}

/** A running deployment under test. */
export interface Deployment {
  sql: SqlClient;
  transport: Transport;
  metrics: AirlockMetrics[];
  /** Every event seen on airlock.approvals and airlock.verdicts, in arrival order. */
  seen: AirlockEvent[];
  stop(): Promise<void>;
}

/** Start a deployment; `stop` tears it all down (services, transport, database). */
export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const db =
      options.database === "pglite"
        ? await createPgliteDatabase().then((sql) => ({ sql, url: "", drop: () => sql.close() }))
        : await createTestDatabase();
    cleanups.push(() => db.drop());
    await migrate(db.sql, { schema: "approvals", directory: MIGRATIONS });
    const namespace = uniqueNamespace("ap");
    // Last, after the transport closed: its queues or topics go from the broker.
    cleanups.push(() => tidyBroker(options.brokerUrl, [namespace]));
    const transport = await createTransport(options.brokerUrl, {
      logger: silentLogger(),
      namespace,
      clientId: `airlock-test-${namespace}`,
    });
    await transport.start();
    cleanups.push(() => transport.close());

    const seen: AirlockEvent[] = [];
    await transport.subscribe({
      group: "observer",
      topics: [TOPICS.approvals, TOPICS.verdicts],
      handler: (event) => {
        seen.push(event);
        return Promise.resolve();
      },
    });

    const config = loadConfig({ AIRLOCK_MODE: options.mode ?? "interactive" });
    const metrics: AirlockMetrics[] = [];
    for (let i = 0; i < (options.instances ?? 1); i++) {
      // Each instance its own pool: two processes racing on one database, as in production.
      const sql = i === 0 ? db.sql : new PgClient(db.url, { logger: silentLogger(), max: 5 });
      if (i > 0) cleanups.push(() => sql.close());
      const instanceMetrics = createMetrics();
      metrics.push(instanceMetrics);
      const service: RunningService = await startApprovalsService({
        config,
        transport,
        sql,
        logger: silentLogger(),
        metrics: instanceMetrics,
        reviewers: REVIEWERS,
        sweepIntervalMs: options.sweepIntervalMs ?? 50,
        relayPollMs: 50,
      });
      cleanups.push(() => service.stop());
    }
    return { sql: db.sql, transport, metrics, seen, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
