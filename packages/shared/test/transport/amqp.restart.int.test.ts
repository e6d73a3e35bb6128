import { afterAll, describe, expect, it } from "vitest";
import { createLogger, createTransport, TOPICS, type Transport } from "../../src/index.js";
import { toolCall, uniqueNamespace, waitFor } from "../helpers.js";
import { amqpTestUrl, deleteNamespaced, rabbitmqctl } from "./amqp-helpers.js";

// Restarts the shared RabbitMQ (`rabbitmqctl stop_app && rabbitmqctl start_app`): the `disruptive`
// project runs it alone, after everything else.
describe("amqp transport across a RabbitMQ restart", () => {
  const url = amqpTestUrl();
  const namespace = uniqueNamespace("r");
  const clientId = `airlock-restart-${namespace}`;
  const logLines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line: string) => void logLines.push(line) } });
  let transport: Transport | undefined;

  afterAll(async () => {
    try {
      // Whatever happened above, leave the broker running for everyone else.
      await rabbitmqctl("start_app");
    } finally {
      await transport?.close();
      await deleteNamespaced(url, [namespace]).catch((error: unknown) =>
        console.warn("could not delete the test's queues:", error),
      );
    }
  });

  it("loses no confirmed event, and the consumer resumes by itself", async () => {
    const t = (transport = await createTransport(url, { logger, namespace, clientId }));
    await t.start();
    const state: { phase: "before" | "restarting" | "after"; holding: boolean } = { phase: "before", holding: false };
    const consumed = new Map<string, number>();
    // Messages the consumer holds, unacknowledged, while the broker goes down: they must come back redelivered.
    const held = new Set<string>();
    const redelivered = new Set<string>();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await t.subscribe({
      group: "audit",
      topics: [TOPICS.toolCalls],
      prefetch: 8,
      handler: async (event, delivery) => {
        if (delivery.redelivered) redelivered.add(event.id);
        if (state.holding && !delivery.redelivered) {
          held.add(event.id);
          await released;
        }
        consumed.set(event.id, (consumed.get(event.id) ?? 0) + 1);
      },
    });
    expect(await connectionNames()).toContain(clientId);

    let stopping = false;
    const confirmed: string[] = [];
    const confirmedAfter: string[] = [];
    const failures: unknown[] = [];
    const publishing = (async () => {
      for (let i = 0; !stopping; i++) {
        // Stay at most 100 events ahead of the consumer, so the stream is steady rather than a burst.
        await waitFor(() => confirmed.length - consumed.size < 100 || stopping, "the consumer to catch up", 120_000);
        const event = toolCall(`agent-${i % 7}`, { i });
        const startedIn = state.phase;
        try {
          await t.publish(event);
          confirmed.push(event.id);
          if (startedIn === "after") confirmedAfter.push(event.id);
        } catch (error) {
          failures.push(error);
        }
      }
    })();

    await waitFor(() => consumed.size >= 50, "50 events consumed before the restart");
    state.holding = true;
    await waitFor(() => held.size > 0, "the consumer to hold events unacknowledged");
    state.phase = "restarting";
    await rabbitmqctl("stop_app");
    await rabbitmqctl("start_app");
    state.phase = "after";
    state.holding = false;
    // The held handlers finish now; their acks cannot reach the broker (their channel is gone).
    release();
    await waitFor(() => confirmedAfter.length >= 50, "50 events confirmed after the restart", 90_000);
    stopping = true;
    await publishing;

    await waitFor(() => confirmed.every((id) => consumed.has(id)), "every confirmed event to be consumed", 90_000);
    await waitFor(
      () => [...held].every((id) => redelivered.has(id)),
      "the events held across the restart to be redelivered",
    );
    expect(failures).toEqual([]);
    for (const id of confirmedAfter) expect(consumed.has(id), `event ${id} published after the restart`).toBe(true);
    expect(logLines.some((line) => line.includes("lost the connection to RabbitMQ"))).toBe(true);
    expect(logLines.some((line) => line.includes("reconnected to RabbitMQ"))).toBe(true);
    // The same connection name after the reconnect, as operators see it.
    expect(await connectionNames()).toContain(clientId);
  });
});

async function connectionNames(): Promise<string> {
  return rabbitmqctl("list_connections", "-q", "--no-table-headers", "client_properties");
}
