import { afterAll, describe, expect, it } from "vitest";
import { connect } from "amqplib";
import {
  AirlockError,
  TOPICS,
  createTransport,
  enqueueEvents,
  outboxTableSql,
  silentLogger,
  startOutboxRelay,
  type AirlockEvent,
  type Transport,
} from "../../src/index.js";
import { createTestDatabase } from "../../src/testing/index.js";
import { sink, toolCall, uniqueNamespace, waitFor } from "../helpers.js";
import { amqpTestUrl, deleteNamespaced, rabbitmqctl } from "./amqp-helpers.js";

// A topic RabbitMQ refuses — `amq.*` (reserved), `airlock.dlx` (a direct exchange, declared here as a
// topic one), a name outside the user's permissions — once stopped the publisher for good: the name joined
// the set re-declared on every new channel, so every channel after was refused too, and an outbox row
// naming it poisoned the service again after each restart. Now the publish is refused, fast and for good,
// and every other publish goes on.

const url = amqpTestUrl();
const namespaces = new Set<string>();
const exchanges = new Set<string>();
const users: string[] = [];

afterAll(async () => {
  await deleteNamespaced(url, namespaces);
  // The un-namespaced run's own exchanges (never airlock.dlx or amq.*: they are the broker's, or shared).
  const connection = await connect(url);
  const channel = await connection.createChannel();
  for (const exchange of exchanges) await channel.deleteExchange(exchange);
  await connection.close();
  for (const user of users) await rabbitmqctl("delete_user", user);
});

/** Each way to run: without a namespace as guest, and in a namespace as a user allowed only part of it. */
const variants = [
  { name: "without AIRLOCK_NAMESPACE", namespaced: false },
  { name: "with AIRLOCK_NAMESPACE, as a user allowed only part of it", namespaced: true },
] as const;

describe.each(variants)("a RabbitMQ publisher refused a topic, $name", ({ namespaced }) => {
  async function setup(): Promise<{ transport: Transport; good: string; refused: string[]; prefix: string }> {
    const id = uniqueNamespace("rt");
    let brokerUrl = url;
    let namespace: string | undefined;
    let refused = ["amq.direct", "amq.airlock-test", "airlock.dlx"];
    if (namespaced) {
      namespace = id;
      namespaces.add(id);
      const user = `airlock-${id}`;
      await rabbitmqctl("add_user", user, "secret");
      users.push(user);
      // Everything of the namespace but names beginning `forbidden`, and the dead-letter exchange groups use.
      const allowed = `^(${id.replace(/[.-]/g, "\\$&")}\\.(?!forbidden).*|airlock\\.dlx)$`;
      await rabbitmqctl("set_permissions", user, allowed, allowed, allowed);
      brokerUrl = url.replace(/\/\/[^@]*@/, `//${user}:secret@`);
      refused = ["forbidden.replies", "forbidden.other"];
    }
    const transport = await createTransport(brokerUrl, {
      logger: silentLogger(),
      clientId: `airlock-test-${id}`,
      ...(namespace ? { namespace } : {}),
    });
    // No start() without a namespace: it would declare Airlock's durable queues on the shared broker.
    if (namespaced) await transport.start();
    const good = `${id}-good`;
    if (!namespaced) exchanges.add(good);
    return { transport, good, refused, prefix: namespace ? `${namespace}.` : "" };
  }

  it("refuses the topic at once, remembers it, and keeps publishing everything else", async () => {
    const { transport, good, refused } = await setup();
    try {
      const seen: AirlockEvent[] = [];
      await transport.subscribe({
        group: `${good}-w`,
        topics: [good],
        ephemeral: true,
        handler: sink((e) => seen.push(e)),
      });
      const sent = [toolCall()];
      await transport.publish(sent[0]!, { topic: good });
      for (const topic of refused) {
        const error = await transport.publish(toolCall(), { topic }).catch((e: unknown) => e);
        expect(error, topic).toBeInstanceOf(AirlockError);
        expect(error).toMatchObject({ code: "broker_refused", retriable: false });
        // Asked again: refused at once, without another channel — before the event loop reaches any I/O.
        const again = await Promise.race([
          transport.publish(toolCall(), { topic }).catch((e: unknown) => e),
          new Promise((resolve) => setImmediate(() => resolve("went to the broker"))),
        ]);
        expect(again).toMatchObject({ code: "broker_refused", retriable: false });
        const next = toolCall();
        sent.push(next);
        const before = Date.now();
        await transport.publish(next, { topic: good });
        // Not an outage to wait out (before the fix: 30 s); generous, as CI runs this beside the fault suites.
        expect(Date.now() - before, "a good publish after a refusal").toBeLessThan(10_000);
      }
      await waitFor(() => seen.length === sent.length, "every good publish delivered");
      expect(seen.map((e) => e.id)).toEqual(sent.map((e) => e.id));
    } finally {
      await transport.close();
    }
  }, 60_000);

  it("settles outbox rows naming a refused topic — dead-lettered with the broker's reason — even left from before a restart", async () => {
    const { transport, good, refused } = await setup();
    const db = await createTestDatabase();
    try {
      await db.sql.exec(`create schema svc; ${outboxTableSql("svc")}`);
      const seen: AirlockEvent[] = [];
      const letters: Array<AirlockEvent<"airlock.dead_letter">> = [];
      await transport.subscribe({
        group: `${good}-w`,
        topics: [good],
        ephemeral: true,
        handler: sink((e) => seen.push(e)),
      });
      await transport.subscribe({
        group: `${good}-dl`,
        topics: [TOPICS.deadLetter],
        ephemeral: true,
        handler: sink((e) => e.type === "airlock.dead_letter" && letters.push(e)),
      });
      // Rows a crashed or restarted service left: a refused topic between good ones.
      const left = refused.flatMap((topic) => [
        { event: toolCall(), topic },
        { event: toolCall(), topic: good },
      ]);
      await db.sql.transaction((tx) => enqueueEvents(tx, "svc", left));
      const relay = startOutboxRelay({ sql: db.sql, transport, schema: "svc", logger: silentLogger(), pollMs: 20 });
      try {
        relay.kick();
        await waitFor(() => letters.length === refused.length && seen.length === refused.length, "rows settled");
        // One dead letter per refused topic, in any order: the relay publishes different keys in parallel.
        for (const topic of refused) {
          const letter = letters.find((l) => l.data.topic === topic);
          expect(letter?.data, topic).toMatchObject({ topic, consumer: "outbox.svc" });
          expect(letter!.data.reason).toMatch(
            new RegExp(`^the broker refused the outbox row for ${topic}: RabbitMQ refused topic`),
          );
        }
        // And new rows after them are published through the same publisher, without waiting out an outage
        // (before the fix: 30 s). The bound is generous because CI runs this beside the fault suites.
        const rows = await db.sql.transaction((tx) =>
          enqueueEvents(tx, "svc", [
            { event: toolCall(), topic: refused[0]! },
            { event: toolCall(), topic: good },
          ]),
        );
        const started = Date.now();
        await relay.dispatch(rows);
        await waitFor(() => seen.length === refused.length + 1, "the new good row", 10_000);
        expect(Date.now() - started).toBeLessThan(10_000);
        await waitFor(() => letters.length === refused.length + 1, "the new refused row dead-lettered", 10_000);
        await relay.drained();
        expect((await db.sql.query("select id from svc.outbox")).rows).toEqual([]);
      } finally {
        await relay.stop();
      }
    } finally {
      await transport.close();
      await db.drop();
    }
  }, 60_000);
});
