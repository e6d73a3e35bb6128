import { afterEach, describe, expect, it } from "vitest";
import {
  TOPICS,
  createEvent,
  createTransport,
  enqueueEvents,
  outboxTableSql,
  silentLogger,
  startOutboxRelay,
  type AirlockEvent,
  type OutboxRelay,
  type SqlClient,
  type Transport,
  UnavailableError,
} from "../../src/index.js";
import { createPgliteDatabase, createTestDatabase } from "../../src/testing/index.js";
import { sink, toolCall, uniqueNamespace, waitFor } from "../helpers.js";

const engines = {
  pg: async () => createTestDatabase(),
  pglite: async () => {
    const sql = await createPgliteDatabase();
    return { sql, drop: () => sql.close() };
  },
};

describe.each(Object.keys(engines) as Array<keyof typeof engines>)("outbox on %s", (engine) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(): Promise<{ sql: SqlClient; transport: Transport; seen: AirlockEvent[] }> {
    const db = await engines[engine]();
    cleanups.push(db.drop);
    await db.sql.exec(`create schema svc; ${outboxTableSql("svc")}`);
    const transport = await createTransport("memory://", { logger: silentLogger(), namespace: uniqueNamespace() });
    await transport.start();
    cleanups.push(() => transport.close());
    const seen: AirlockEvent[] = [];
    await transport.subscribe({ group: "watch", topics: [TOPICS.toolCalls], handler: sink((e) => seen.push(e)) });
    return { sql: db.sql, transport, seen };
  }

  function relay(
    sql: SqlClient,
    transport: Transport,
    options: { pollMs?: number; graceMs?: number } = {},
  ): OutboxRelay {
    const r = startOutboxRelay({ sql, transport, schema: "svc", logger: silentLogger(), pollMs: 20, ...options });
    cleanups.push(() => r.stop());
    return r;
  }

  const outboxIds = async (sql: SqlClient) =>
    (await sql.query<{ id: unknown }>("select id from svc.outbox order by id")).rows.map((row) => Number(row.id));

  it("dispatches committed rows at once, without a round of its own, and deletes them after", async () => {
    const { sql, transport, seen } = await setup();
    // Polls far apart and only for old rows: whatever is published in this test was dispatched.
    const r = relay(sql, transport, { pollMs: 60_000, graceMs: 60_000 });
    await r.drained();
    const events = [toolCall("agent-1", { n: 1 }), toolCall("agent-1", { n: 2 }), toolCall("agent-2", { n: 3 })];
    const rows = await sql.transaction((tx) =>
      enqueueEvents(
        tx,
        "svc",
        events.map((event) => ({ event })),
      ),
    );
    expect(rows.map((row) => row.event.id)).toEqual(events.map((e) => e.id));
    expect(await outboxIds(sql)).toEqual(rows.map((row) => row.id));
    await r.dispatch(rows);
    await waitFor(() => seen.length >= 3, "the three events");
    // Keys go in parallel; one key's events keep their order.
    expect(new Set(seen.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
    expect(seen.filter((e) => e.subject !== events[2]!.subject).map((e) => e.id)).toEqual([
      events[0]!.id,
      events[1]!.id,
    ]);
    await waitFor(async () => (await outboxIds(sql)).length === 0, "the dispatched rows deleted");
    expect(r.dispatching()).toBe(0);
  });

  it("leaves young rows to the instance dispatching them, and takes them once they are older than the grace", async () => {
    const { sql, transport, seen } = await setup();
    const other = relay(sql, transport, { pollMs: 20, graceMs: 500 });
    await other.drained();
    // A row another instance committed, and is dispatching — or crashed before it could.
    const event = toolCall("agent-3");
    const enqueuedAt = Date.now();
    await sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event }]));
    await waitFor(() => seen.length >= 1, "the row, once old enough", 10_000);
    expect(Date.now() - enqueuedAt).toBeGreaterThanOrEqual(450);
    expect(seen.map((e) => e.id)).toEqual([event.id]);
  });

  it("hands a dispatch the broker refused back to the relay, which publishes it when the broker answers", async () => {
    const { sql, transport, seen } = await setup();
    let refusals = 2;
    const flaky = Object.create(transport) as Transport;
    flaky.publish = (event, options) => {
      if (refusals > 0) {
        refusals--;
        return Promise.reject(new UnavailableError("broker away"));
      }
      return transport.publish(event, options);
    };
    const r = relay(sql, flaky, { pollMs: 60_000, graceMs: 60_000 });
    await r.drained();
    const event = toolCall("agent-4");
    const rows = await sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event }]));
    await r.dispatch(rows);
    await waitFor(() => seen.length >= 1, "the event, published by the relay's retry");
    expect(seen.map((e) => e.id)).toEqual([event.id]);
    await r.drained();
    expect(await outboxIds(sql)).toEqual([]);
  });

  it("publishes what a committed transaction enqueued, and nothing of a rolled-back one", async () => {
    const { sql, transport, seen } = await setup();
    const r = relay(sql, transport);
    const kept = toolCall("a");
    const dropped = toolCall("b");
    await sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event: kept }]));
    await expect(
      sql.transaction(async (tx) => {
        await enqueueEvents(tx, "svc", [{ event: dropped }]);
        throw new Error("state change failed");
      }),
    ).rejects.toThrow("state change failed");
    r.kick();
    await waitFor(() => seen.length >= 1, "the committed event");
    await r.drained();
    expect(seen.map((e) => e.id)).toEqual([kept.id]);
    const { rows } = await sql.query("select * from svc.outbox");
    expect(rows).toEqual([]);
  });

  it("keeps the order of enqueued events", async () => {
    const { sql, transport, seen } = await setup();
    const events = Array.from({ length: 100 }, (_, i) => toolCall("agent-0", { n: i }));
    for (const event of events) await sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event }]));
    relay(sql, transport).kick();
    await waitFor(() => seen.length >= 100, "100 events");
    expect(seen.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it("sends a verdict for a custom reply_to to airlock.verdicts too, as the same event", async () => {
    const { sql, transport } = await setup();
    const seen: Array<{ topic: string; id: string }> = [];
    await transport.subscribe({
      group: "verdicts",
      topics: [TOPICS.verdicts, "agent-7.replies"],
      handler: (event, delivery) => {
        seen.push({ topic: delivery.topic, id: event.id });
        return Promise.resolve();
      },
    });
    const call = toolCall("agent-7");
    const verdict = createEvent({
      type: "airlock.verdict.final",
      source: "test",
      subject: call.data.call_id,
      data: {
        call_id: call.data.call_id,
        agent_id: "agent-7",
        action_digest: call.data.action_digest,
        allowed: true,
        outcome: "allow",
        reason: "ok",
        decided_by: "policy",
      },
    });
    await sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event: verdict, topic: "agent-7.replies" }]));
    relay(sql, transport).kick();
    await waitFor(() => seen.length >= 2, "the verdict on both topics");
    expect(seen.map((s) => s.topic).sort()).toEqual([TOPICS.verdicts, "agent-7.replies"].sort());
    expect(new Set(seen.map((s) => s.id))).toEqual(new Set([verdict.id]));
  });

  it("dead-letters a row the broker will never take, and goes on with the rows behind it", async () => {
    const { sql, transport, seen } = await setup();
    const deadLetters: AirlockEvent[] = [];
    await transport.subscribe({ group: "dlq", topics: [TOPICS.deadLetter], handler: sink((e) => deadLetters.push(e)) });
    // Over the 256 KiB event bound: valid, but no transport will publish it.
    const huge = toolCall("agent-1", { blob: "x".repeat(300 * 1024) });
    const after = toolCall("agent-1", { n: 2 });
    await sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event: huge }, { event: after }]));
    const r = relay(sql, transport);
    r.kick();
    await waitFor(() => seen.length >= 1 && deadLetters.length >= 1, "the next row published and a dead letter");
    await r.drained();
    expect(seen.map((e) => e.id)).toEqual([after.id]);
    expect(deadLetters[0]!.data).toMatchObject({ topic: TOPICS.toolCalls, consumer: "outbox.svc" });
    expect((deadLetters[0]!.data as { reason: string }).reason).toMatch(/limit is/);
    const { rows } = await sql.query("select * from svc.outbox");
    expect(rows).toEqual([]);
  });

  it("refuses to enqueue an invalid event, failing the transaction", async () => {
    const { sql } = await setup();
    const bad = { ...toolCall("a"), data: { call_id: "x" } } as unknown as AirlockEvent;
    await expect(sql.transaction((tx) => enqueueEvents(tx, "svc", [{ event: bad }]))).rejects.toThrow(/invalid/);
  });

  it("publishes each event once with two relays on one outbox", async () => {
    const { sql, transport, seen } = await setup();
    const events = Array.from({ length: 300 }, (_, i) => toolCall(`agent-${i % 3}`, { n: i }));
    for (let i = 0; i < events.length; i += 50) {
      await sql.transaction((tx) =>
        enqueueEvents(
          tx,
          "svc",
          events.slice(i, i + 50).map((event) => ({ event })),
        ),
      );
    }
    const a = relay(sql, transport);
    const b = relay(sql, transport);
    a.kick();
    b.kick();
    await waitFor(() => seen.length >= 300, "300 events");
    await Promise.all([a.drained(), b.drained()]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(300);
    expect(seen.length).toBe(300);
  });
});
