import { afterAll, describe, expect, it } from "vitest";
import { createLogger, createTransport, silentLogger, TOPICS, Transport } from "../../src/index.js";
import { KafkaAdapter } from "../../src/transport/kafka/adapter.js";
import { toolCall, uniqueNamespace, waitFor } from "../helpers.js";
import { CuttableNetwork, deleteNamespaced, kafkaTestUrl } from "./kafka-helpers.js";

// The consumer's host loses its route to the broker mid-stream: open connections drop and new ones are refused.
// kafkajs's fetches and heartbeats fail, it retries, gives up and emits CRASH — the crash a real network
// partition causes. Only this test's client is cut off; the broker and every other client carry on, so the
// file runs with the other integration tests rather than in the disruptive project.
describe("kafka consumer crash", () => {
  const url = kafkaTestUrl();
  const namespace = uniqueNamespace("c");
  const open: Transport[] = [];
  // Lets go of the messages the consumer holds; called in afterAll too, as closing waits for them.
  let release = (): void => undefined;

  afterAll(async () => {
    release();
    await Promise.all(open.map((t) => t.close()));
    await deleteNamespaced(url, [namespace]).catch((error: unknown) =>
      console.warn("could not delete the test's topics:", error),
    );
  });

  it("replaces the crashed consumer by itself and loses nothing", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
    const network = new CuttableNetwork();
    const adapter = new KafkaAdapter(url, {
      logger,
      clientId: `airlock-crash-${namespace}`,
      socketFactory: network.socketFactory,
      // Few, quick retries: kafkajs gives up on the unreachable broker within seconds rather than a minute.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const consumerSide = new Transport(adapter, { logger, namespace });
    open.push(consumerSide);
    await consumerSide.start();
    // Publishing goes through a client of its own, which keeps its network.
    const publisher = await createTransport(url, {
      logger: silentLogger(),
      namespace,
      clientId: `airlock-crash-pub-${namespace}`,
    });
    open.push(publisher);
    await publisher.start();

    const state = { phase: "streaming" as "streaming" | "cut" };
    const handled = new Map<string, number>();
    const redelivered = new Set<string>();
    // Messages the consumer is still handling when the network goes: they finish during the outage, so their
    // offsets cannot be committed, and the replacement consumer must read them again.
    const held = new Set<string>();
    const released = new Promise<void>((resolve) => (release = resolve));
    await consumerSide.subscribe({
      group: "audit",
      topics: [TOPICS.toolCalls],
      prefetch: 8,
      handler: async (event, delivery) => {
        if (delivery.redelivered) redelivered.add(event.id);
        if (state.phase === "streaming" && handled.size >= 10) {
          held.add(event.id);
          await released;
        }
        handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
      },
    });

    const before = Array.from({ length: 30 }, (_, i) => toolCall(`agent-${i % 5}`, { before: i }));
    for (const event of before) await publisher.publish(event);
    await waitFor(() => held.size >= 1, "the consumer to be mid-stream, holding messages");

    state.phase = "cut";
    await network.cut();
    release();
    await waitFor(() => adapter.stats.crashes >= 1, "kafkajs to give up and crash the consumer", 30_000);
    const during = Array.from({ length: 10 }, (_, i) => toolCall(`agent-${i % 5}`, { during: i }));
    for (const event of during) await publisher.publish(event);

    // Still cut off, the adapter's first attempts to replace the consumer fail; it backs off and tries again.
    await waitFor(
      () => lines.some((line) => line.includes("replacing the crashed kafka consumer failed")),
      "a failed replacement",
      30_000,
    );
    network.heal();
    // The crashed member could not leave the group: the replacement's join waits out its session (10 s).
    await waitFor(() => adapter.stats.recoveries >= 1, "the adapter to replace the crashed consumer", 45_000);
    const after = Array.from({ length: 10 }, (_, i) => toolCall(`agent-${i % 5}`, { after: i }));
    for (const event of after) await publisher.publish(event);

    const all = [...before, ...during, ...after];
    await waitFor(
      () => all.every((event) => handled.has(event.id)),
      "every one of the 50 events to be handled",
      30_000,
    );
    expect(all.filter((event) => !handled.has(event.id))).toEqual([]);
    // What was in flight at the crash was not acknowledged to the broker, so it came again, marked as such.
    expect(held.size).toBeGreaterThan(0);
    for (const id of held) expect(redelivered.has(id), `held event ${id} redelivered`).toBe(true);
    expect(adapter.stats.crashes).toBeGreaterThanOrEqual(1);
    // Every crash was followed by a replacement that joined.
    expect(adapter.stats.recoveries).toBe(adapter.stats.crashes);

    const logged = lines.map(
      (line) => JSON.parse(line) as { level: number; module?: string; component?: string; msg: string },
    );
    // kafkajs's own account of the crash, routed to pino at error level with its namespace as the component.
    expect(
      logged.some(
        (l) => l.module === "kafka" && l.component === "Consumer" && l.level === 50 && l.msg.startsWith("Crash:"),
      ),
    ).toBe(true);
    expect(logged.some((l) => l.module === "kafka" && l.msg === "kafka consumer crashed; replacing it")).toBe(true);
  });
});
