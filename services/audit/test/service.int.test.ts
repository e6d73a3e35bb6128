import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  TOPICS,
  createEvent,
  createHttpServer,
  createMetrics,
  createTransport,
  silentLogger,
  verifyCheckpointSignature,
  verifyInclusionProof,
  type AirlockEvent,
  type SqlClient,
  type Transport,
} from "@airlock/shared";
import { createTestDatabase, uniqueNamespace, waitFor, type TestDatabase } from "@airlock/shared/testing";
import { SIGNING_KEY_FILE, auditRoutes, startAuditService, verify, type RunningAuditService } from "../src/index.js";
import { PgClient } from "@airlock/shared";
import { migrateAudit, newSigner, testConfig, toolCall } from "./helpers.js";

async function count(sql: SqlClient, where = "true"): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(`select count(*)::int as n from audit.log where ${where}`);
  return rows[0]!.n;
}

describe("audit service on the memory transport and Postgres", () => {
  let db: TestDatabase;
  let namespace: string;
  const cleanups: Array<() => Promise<void>> = [];

  async function transport(): Promise<Transport> {
    const t = await createTransport("memory://", { logger: silentLogger(), namespace });
    await t.start();
    cleanups.push(() => t.close());
    return t;
  }

  async function service(
    sql: SqlClient,
    t: Transport,
    options: { every?: number; maxDelayMs?: number; dataDir?: string; keyed?: boolean } = {},
  ): Promise<RunningAuditService> {
    const running = await startAuditService({
      config: testConfig({
        AIRLOCK_CHECKPOINT_EVERY: String(options.every ?? 1000),
        AIRLOCK_CHECKPOINT_INTERVAL: "1h",
        ...(options.dataDir ? { AIRLOCK_DATA_DIR: options.dataDir } : {}),
      }),
      sql,
      transport: t,
      logger: silentLogger(),
      metrics: createMetrics(),
      ...(options.keyed === false ? {} : { signingKey: newSigner().privateKey }),
      batch: { maxDelayMs: options.maxDelayMs ?? 0 },
    });
    cleanups.push(() => running.stop());
    return running;
  }

  beforeEach(async () => {
    namespace = uniqueNamespace("audit");
    db = await createTestDatabase();
    await migrateAudit(db.sql);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await db.drop();
  });

  it("records an event delivered three times once", async () => {
    const t = await transport();
    await service(db.sql, t);
    const event = toolCall("agent-x", 1);
    const other = toolCall("agent-y", 2);
    for (let i = 0; i < 3; i++) await t.publish(event);
    await t.publish(other);
    await waitFor(async () => (await count(db.sql, `event_id = '${other.id}'`)) === 1, "the last event recorded");
    await waitFor(async () => (await count(db.sql)) >= 2, "both events");
    expect(await count(db.sql, `event_id = '${event.id}'`)).toBe(1);
    expect(await count(db.sql)).toBe(2);
  });

  it("refuses another event under a recorded id as a conflict: dead-lettered, and the first stays", async () => {
    const t = await transport();
    await service(db.sql, t, { maxDelayMs: 5 });
    const event = toolCall("agent-c", 1);
    await t.publish(event);
    await waitFor(async () => (await count(db.sql, `event_id = '${event.id}'`)) === 1, "the event recorded");
    // The same id, other content: arriving alone, and beside a redelivery of the original in one batch.
    const decoy: AirlockEvent = { ...event, data: { ...event.data, tool: "delete_database" } } as AirlockEvent;
    await Promise.all([t.publish(decoy), t.publish(event)]);
    await waitFor(
      async () =>
        (await count(
          db.sql,
          `type = 'airlock.dead_letter' and event like '%${event.id}%recorded with other content%'`,
        )) >= 1,
      "the conflicting copy dead-lettered and its dead letter recorded",
    );
    const { rows } = await db.sql.query<{ event: string }>(`select event from audit.log where event_id = $1`, [
      event.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.event).not.toContain("delete_database");
  });

  it("two instances consuming together leave one valid chain with every event once", async () => {
    const second = new PgClient(db.url, { logger: silentLogger(), max: 5 });
    cleanups.push(() => second.close());
    const [t1, t2] = [await transport(), await transport()];
    const a = await service(db.sql, t1, { every: 50 });
    const b = await service(second, t2, { every: 50 });
    const events: AirlockEvent[] = Array.from({ length: 400 }, (_, i) => toolCall(`agent-${i % 17}`, i));
    await Promise.all(events.map((event, i) => (i % 2 === 0 ? t1 : t2).publish(event)));
    // Redeliveries too: a tenth of the events published again.
    await Promise.all(events.slice(0, 40).map((event) => t2.publish(event)));
    await waitFor(async () => (await count(db.sql)) >= 400, "400 entries", 30_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(await count(db.sql)).toBe(400);
    const { rows } = await db.sql.query<{ seqs: number; ids: number }>(
      "select count(distinct seq)::int as seqs, count(distinct event_id)::int as ids from audit.log where chain = 'main'",
    );
    expect(rows[0]).toEqual({ seqs: 400, ids: 400 });
    const report = await verify(db.sql, { publicKeys: [a.signer.publicKeyText, b.signer.publicKeyText] });
    expect(report.chains[0]).toMatchObject({ ok: true, entries: 400, unvouched: 0 });
    // Every entry vouched for by a signed checkpoint. How many: a checkpointer folds the triggers that come
    // while it signs into its next checkpoint, so on a loaded machine one may cover all 400 entries.
    expect(report.chains[0]!.checkpoints).toBeGreaterThanOrEqual(1);
  });

  it("commits the batch in flight when stopped", async () => {
    const t = await transport();
    const running = await service(db.sql, t, { maxDelayMs: 60_000 });
    // Five agents: the transport hands a group one event per key at a time, so five keys fill one batch.
    for (let i = 0; i < 5; i++) await t.publish(toolCall(`agent-s${i}`, i));
    await waitFor(() => t.stats.consumed >= 5, "five events handed to the handler");
    const started = Date.now();
    await running.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await count(db.sql)).toBe(5);
  });

  it("publishes signed checkpoints and records dead letters", async () => {
    const t = await transport();
    const checkpoints: AirlockEvent[] = [];
    const listener = await t.subscribe({
      group: "checkpoint-listener",
      topics: [TOPICS.audit],
      ephemeral: true,
      handler: (event) => {
        checkpoints.push(event);
        return Promise.resolve();
      },
    });
    cleanups.push(() => listener.close());
    const running = await service(db.sql, t, { every: 3 });
    for (let i = 0; i < 3; i++) await t.publish(toolCall("agent-c", i));
    await t.publishRaw(TOPICS.toolCalls, "agent-c", "{not json");
    await waitFor(async () => (await count(db.sql, "type = 'airlock.dead_letter'")) >= 1, "the dead letter recorded");
    const { rows } = await db.sql.query<{ event: string }>(
      "select event from audit.log where type = 'airlock.dead_letter'",
    );
    expect(rows[0]!.event).toContain("{not json");
    await waitFor(() => checkpoints.some((e) => e.type === "airlock.audit.checkpoint"), "a checkpoint event");
    const first = checkpoints[0]!;
    if (first.type !== "airlock.audit.checkpoint") throw new Error("expected a checkpoint");
    expect(first.data.tree_size).toBeGreaterThanOrEqual(3);
    expect(verifyCheckpointSignature(first.data, running.signer.publicKey)).toBe("valid");
  });

  it("serves the audit routes", async () => {
    const t = await transport();
    const running = await service(db.sql, t);
    const events = Array.from({ length: 5 }, (_, i) => toolCall(i % 2 ? "odd" : "even", i));
    for (const event of events) await t.publish(event);
    await waitFor(async () => (await count(db.sql)) === 5, "five entries");
    await running.checkpointNow();
    const app = await createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics(),
      routes: [auditRoutes({ sql: db.sql })],
    });
    cleanups.push(() => app.close());

    const listed = await app.inject({ url: "/v1/audit/events?agent=odd&limit=1" });
    expect(listed.statusCode).toBe(200);
    const page = listed.json<{ events: Array<{ seq: number; event: AirlockEvent }>; next_after_seq: number | null }>();
    expect(page.events).toHaveLength(1);
    expect(page.events[0]!.event.data).toMatchObject({ agent_id: "odd" });
    const rest = await app.inject({ url: `/v1/audit/events?agent=odd&after_seq=${page.next_after_seq}` });
    expect(rest.json<{ events: unknown[] }>().events).toHaveLength(1);

    const proof = await app.inject({ url: "/v1/audit/proofs/3" });
    expect(proof.statusCode).toBe(200);
    expect(verifyInclusionProof(proof.json(), running.signer.publicKeyText)).toEqual({ ok: true });
    expect(proof.json<{ public_key: string }>().public_key).toBe(running.signer.publicKeyText);

    const checkpoints = await app.inject({ url: "/v1/audit/checkpoints" });
    expect(checkpoints.json()).toMatchObject({ latest: { tree_size: 5, public_key: running.signer.publicKeyText } });
    const verified = await app.inject({ url: "/v1/audit/verify" });
    expect(verified.json()).toMatchObject({ ok: true, chains: [{ chain: "main", entries: 5, unvouched: 0 }] });

    expect((await app.inject({ url: "/v1/audit/proofs/99" })).statusCode).toBe(404);
    const bad = await app.inject({ url: "/v1/audit/events?limit=0" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: "bad_request" } });
  });

  it("generates its signing key on first start, 0600, and keeps it across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-audit-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const t = await transport();
    const first = await service(db.sql, t, { dataDir: join(dir, "data"), keyed: false });
    await first.stop();
    expect((await stat(join(dir, "data", SIGNING_KEY_FILE))).mode & 0o777).toBe(0o600);
    const again = await service(db.sql, t, { dataDir: join(dir, "data"), keyed: false });
    expect(again.signer.keyId).toBe(first.signer.keyId);
  });

  it("records every event type it reads, including verdicts and votes", async () => {
    const t = await transport();
    await service(db.sql, t);
    const verdict = createEvent({
      type: "airlock.verdict.final",
      source: "airlock/policy",
      subject: "call-1",
      data: {
        call_id: "call-1",
        agent_id: "agent-v",
        action_digest: "a".repeat(64),
        allowed: true,
        outcome: "allow",
        reason: "ok",
        decided_by: "policy",
      },
    });
    await t.publish(verdict);
    await waitFor(async () => (await count(db.sql, `event_id = '${verdict.id}'`)) === 1, "the verdict recorded");
  });
});
