import { afterEach, describe, expect, it } from "vitest";
import {
  AirlockError,
  CONSUMER_GROUPS,
  PoisonMessageError,
  TOPICS,
  type AirlockEvent,
  type Delivery,
  type Subscription,
  type Transport,
} from "../../src/index.js";
import { sink, toolCall, uniqueNamespace, waitFor } from "../helpers.js";

/** Makes a started transport whose topic and group names carry `namespace`. */
export type TransportFactory = (namespace: string) => Promise<Transport>;

const fastRetry = { initialMs: 5, maxMs: 50, factor: 2, jitter: 0 };

/**
 * The promises every broker adapter keeps. Runs unchanged against memory://, amqp:// and kafka://;
 * the describe block names the transport so the test output shows all three.
 */
export function transportContract(kind: "memory" | "amqp" | "kafka", factory: TransportFactory): void {
  describe(`transport contract: ${kind}`, () => {
    const open: Transport[] = [];
    async function transport(namespace = uniqueNamespace()): Promise<Transport> {
      const t = await factory(namespace);
      open.push(t);
      return t;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((t) => t.close()));
    });

    it("delivers every published event, validated, to a subscriber", async () => {
      const t = await transport();
      expect(t.kind).toBe(kind);
      const seen: AirlockEvent[] = [];
      await t.subscribe({ group: "policy", topics: [TOPICS.toolCalls], handler: sink((e) => seen.push(e)) });
      const sent = Array.from({ length: 20 }, (_, i) => toolCall(`agent-${i % 4}`, { i }));
      for (const event of sent) await t.publish(event);
      await waitFor(() => seen.length >= 20, "20 events");
      expect(new Set(seen.map((e) => e.id))).toEqual(new Set(sent.map((e) => e.id)));
      const first = seen.find((e) => e.id === sent[0]!.id);
      expect(first).toEqual(sent[0]);
    });

    it("keeps the order of events with the same key", async () => {
      const t = await transport();
      const byKey = new Map<string, number[]>();
      await t.subscribe({
        group: "policy",
        topics: [TOPICS.toolCalls],
        prefetch: 32,
        handler: async (e) => {
          const data = e.data as unknown as { agent_id: string; args: { n: number } };
          // Uneven handler times: a later event of a key must still wait for the earlier one.
          if (data.args.n % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
          byKey.set(data.agent_id, [...(byKey.get(data.agent_id) ?? []), data.args.n]);
        },
      });
      for (let n = 0; n < 90; n++) await t.publish(toolCall(`agent-${n % 3}`, { n }));
      await waitFor(() => [...byKey.values()].reduce((sum, list) => sum + list.length, 0) >= 90, "90 events");
      for (const [key, ns] of byKey) {
        expect(ns, `order of ${key}`).toEqual([...ns].sort((a, b) => a - b));
        expect(ns).toHaveLength(30);
      }
    });

    it("hands several events of one key over at once, in arrival order, to an unordered subscription", async () => {
      const t = await transport();
      const started: number[] = [];
      const release: Array<() => void> = [];
      let finished = 0;
      await t.subscribe({
        group: "policy",
        topics: [TOPICS.toolCalls],
        prefetch: 16,
        ordered: false,
        handler: async (e) => {
          started.push((e.data as unknown as { args: { n: number } }).args.n);
          await new Promise<void>((resolve) => release.push(resolve));
          finished++;
        },
      });
      for (let n = 0; n < 8; n++) await t.publish(toolCall("agent-one", { n }));
      // All eight of one key are held at once: none has finished, so an ordered subscription would hold one.
      await waitFor(() => started.length === 8, "8 events of one key in flight together");
      expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      for (const resolve of release) resolve();
      await waitFor(() => finished === 8, "8 handled");
    });

    it("redelivers an event whose handler threw, and moves on", async () => {
      const t = await transport();
      const failing = toolCall("agent-1", { fail: true });
      const deliveries: Delivery[] = [];
      const done = new Set<string>();
      await t.subscribe({
        group: "policy",
        topics: [TOPICS.toolCalls],
        backoff: fastRetry,
        handler: (e, delivery) => {
          if (e.id === failing.id) {
            deliveries.push(delivery);
            if (delivery.attempt < 3) return Promise.reject(new Error("database hiccup"));
          }
          done.add(e.id);
          return Promise.resolve();
        },
      });
      const after = toolCall("agent-1", { after: true });
      await t.publish(failing);
      await t.publish(after);
      await waitFor(() => done.has(failing.id) && done.has(after.id), "the failing event to succeed on retry");
      expect(deliveries.map((d) => d.attempt)).toEqual([1, 2, 3]);
      expect(t.stats.handlerErrors).toBe(2);
    });

    it("dead-letters invalid messages with the reason, never hands them to the handler, and moves on", async () => {
      const t = await transport();
      const handled: string[] = [];
      const dead: AirlockEvent<"airlock.dead_letter">[] = [];
      await t.subscribe({ group: "policy", topics: [TOPICS.toolCalls], handler: sink((e) => handled.push(e.id)) });
      await t.subscribe({
        group: "operators",
        topics: [TOPICS.deadLetter],
        handler: sink((e) => dead.push(e as AirlockEvent<"airlock.dead_letter">)),
      });
      const valid = toolCall();
      const wrongData = { ...toolCall(), data: { call_id: "x" } };
      const unknownType = { ...toolCall(), type: "airlock.nope" };
      await t.publishRaw(TOPICS.toolCalls, "k", "{not json");
      await t.publishRaw(TOPICS.toolCalls, "k", JSON.stringify({ hello: "world" }));
      await t.publishRaw(TOPICS.toolCalls, "k", JSON.stringify(unknownType));
      await t.publishRaw(TOPICS.toolCalls, "k", JSON.stringify(wrongData));
      await t.publishRaw(TOPICS.toolCalls, "k", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
      await t.publishRaw(TOPICS.toolCalls, "k", JSON.stringify(toolCall("agent-1", { blob: "x".repeat(300 * 1024) })));
      await t.publish(valid);
      await waitFor(() => dead.length >= 6 && handled.length >= 1, "6 dead letters and the valid event");
      expect(handled).toEqual([valid.id]);
      const reasons = dead.map((d) => d.data.reason);
      expect(reasons.some((r) => r.startsWith("not UTF-8 JSON"))).toBe(true);
      expect(reasons.some((r) => r.startsWith("not a CloudEvents envelope"))).toBe(true);
      expect(reasons).toContain('unknown event type "airlock.nope"');
      expect(reasons.some((r) => r.startsWith("invalid airlock.tool_call.requested data"))).toBe(true);
      expect(reasons.some((r) => /bytes; the limit is 262144/.test(r))).toBe(true);
      for (const d of dead) {
        expect(d.data).toMatchObject({ topic: TOPICS.toolCalls, consumer: "policy" });
        expect(d.data.raw.length).toBeLessThanOrEqual(16 * 1024);
      }
    });

    it("dead-letters at once, without retrying, when the handler says the event is poison", async () => {
      const t = await transport();
      let calls = 0;
      const dead: AirlockEvent[] = [];
      await t.subscribe({
        group: "policy",
        topics: [TOPICS.toolCalls],
        handler: () => {
          calls++;
          return Promise.reject(new PoisonMessageError("action_digest does not match the call"));
        },
      });
      await t.subscribe({ group: "operators", topics: [TOPICS.deadLetter], handler: sink((e) => dead.push(e)) });
      await t.publish(toolCall());
      await waitFor(() => dead.length === 1, "the dead letter");
      expect(calls).toBe(1);
      expect(dead[0]!.data).toMatchObject({ reason: "action_digest does not match the call" });
    });

    it("refuses to publish an event over the size bound", async () => {
      const t = await transport();
      const huge = toolCall("agent-1", { blob: "x".repeat(300 * 1024) });
      await expect(t.publish(huge)).rejects.toThrow(AirlockError);
      await expect(t.publish(huge)).rejects.toThrow(/limit is 262144/);
    });

    it("loses nothing when a consumer stops mid-stream and another member of its group takes over", async () => {
      const namespace = uniqueNamespace();
      const t = await transport(namespace);
      const handled = new Set<string>();
      let release!: () => void;
      const stopped = new Promise<void>((resolve) => (release = resolve));
      const first = await t.subscribe({
        group: "audit",
        topics: [TOPICS.toolCalls],
        prefetch: 8,
        handler: async (e) => {
          if (handled.size >= 10) {
            // A consumer that is going down: it never finishes what it holds.
            await stopped;
            throw new Error("process is stopping");
          }
          handled.add(e.id);
        },
      });
      const sent = Array.from({ length: 40 }, (_, i) => toolCall(`agent-${i % 5}`, { i }));
      for (const event of sent) await t.publish(event);
      await waitFor(() => handled.size >= 10, "the first consumer to handle 10 events");
      const closing = first.close();
      release();
      await closing;
      const more = Array.from({ length: 20 }, (_, i) => toolCall(`agent-${i % 5}`, { later: i }));
      for (const event of more) await t.publish(event);
      const second = await transport(namespace);
      await second.subscribe({ group: "audit", topics: [TOPICS.toolCalls], handler: sink((e) => handled.add(e.id)) });
      await waitFor(() => handled.size >= 60, "every one of the 60 events", 40_000);
      for (const event of [...sent, ...more]) expect(handled.has(event.id)).toBe(true);
    });

    it("keeps what is published before a service's first start for its consumer group", async () => {
      const t = await transport();
      // Nothing has subscribed as "policy" yet: an agent publishing before the policy service ever ran.
      const early = toolCall("agent-early");
      await t.publish(early);
      const seen: AirlockEvent[] = [];
      await t.subscribe({
        group: CONSUMER_GROUPS.policy.group,
        topics: CONSUMER_GROUPS.policy.topics,
        handler: sink((e) => seen.push(e)),
      });
      await waitFor(() => seen.length >= 1, "the event published before the group's first member");
      expect(seen.map((e) => e.id)).toEqual([early.id]);
    });

    it("gives every consumer group every event", async () => {
      const t = await transport();
      const policy = new Set<string>();
      const audit = new Set<string>();
      await t.subscribe({ group: "policy", topics: [TOPICS.toolCalls], handler: sink((e) => policy.add(e.id)) });
      await t.subscribe({ group: "audit", topics: [TOPICS.toolCalls], handler: sink((e) => audit.add(e.id)) });
      const sent = Array.from({ length: 30 }, (_, i) => toolCall(`agent-${i}`));
      for (const event of sent) await t.publish(event);
      await waitFor(() => policy.size >= 30 && audit.size >= 30, "both groups to see 30 events");
      expect(policy).toEqual(audit);
    });

    it("gives a background group every event, in key order", async () => {
      const t = await transport();
      const seen: number[] = [];
      await t.subscribe({
        group: "audit",
        topics: [TOPICS.toolCalls],
        background: true,
        handler: sink((e) => seen.push((e.data as unknown as { args: { n: number } }).args.n)),
      });
      for (let n = 0; n < 25; n++) await t.publish(toolCall("agent-one", { n }));
      await waitFor(() => seen.length >= 25, "25 events");
      expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => n));
    });

    it("shares one group's events between its members", async () => {
      const namespace = uniqueNamespace();
      const a = await transport(namespace);
      const b = await transport(namespace);
      const seenA = new Set<string>();
      const seenB = new Set<string>();
      const subs: Subscription[] = [];
      subs.push(
        await a.subscribe({ group: "policy", topics: [TOPICS.toolCalls], handler: sink((e) => seenA.add(e.id)) }),
      );
      subs.push(
        await b.subscribe({ group: "policy", topics: [TOPICS.toolCalls], handler: sink((e) => seenB.add(e.id)) }),
      );
      const sent = Array.from({ length: 60 }, (_, i) => toolCall(`agent-${i}`));
      for (const event of sent) await a.publish(event);
      await waitFor(() => new Set([...seenA, ...seenB]).size >= 60, "all 60 events between the two members");
      expect(seenA.size).toBeGreaterThan(0);
      expect(seenB.size).toBeGreaterThan(0);
      expect(seenA.size + seenB.size).toBe(60);
    });

    it("routes by key for a private subscription that sees only what is published after it", async () => {
      const t = await transport();
      await t.publish(toolCall("agent-7"));
      const seen: AirlockEvent[] = [];
      const sub = await t.subscribe({
        group: `waiter-${uniqueNamespace("w")}`,
        topics: [TOPICS.toolCalls],
        keys: ["agent-7"],
        ephemeral: true,
        handler: sink((e) => seen.push(e)),
      });
      const mine = toolCall("agent-7");
      await t.publish(toolCall("agent-8"));
      await t.publish(mine);
      await waitFor(() => seen.length >= 1, "the agent's own event");
      expect(seen.map((e) => e.id)).toEqual([mine.id]);
      await sub.close();
    });
  });
}
