import { afterAll, describe, expect, it } from "vitest";
import { createTransport, silentLogger, TOPICS, Transport } from "../../src/index.js";
import { KafkaAdapter } from "../../src/transport/kafka/adapter.js";
import { toolCall, uniqueNamespace, waitFor } from "../helpers.js";
import { CuttableNetwork, deleteNamespaced, kafkaTestUrl } from "./kafka-helpers.js";

// The broker writes a publish, then its answer is lost (it restarts, the network breaks) until kafkajs gives
// up. kafkajs hands its sequence numbers back when a request fails, so its idempotent producer would give
// the next message the sequence of the one the broker already has — and the broker, which takes a batch
// with a known sequence for a duplicate whatever it holds, would answer "written" and drop it. That is how
// a vote the gateway accepted after a Kafka restart never reached the log (RELIABILITY.md).
describe("kafka publish whose answer was lost", () => {
  const url = kafkaTestUrl();
  const namespace = uniqueNamespace("la");
  const open: Transport[] = [];

  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
    await deleteNamespaced(url, [namespace]).catch((error: unknown) =>
      console.warn("could not delete the test's topics:", error),
    );
  });

  it("never makes the broker drop the next publish as a duplicate", async () => {
    const network = new CuttableNetwork();
    const adapter = new KafkaAdapter(url, {
      logger: silentLogger(),
      clientId: `airlock-lost-answer-${namespace}`,
      socketFactory: network.socketFactory,
      // Few, quick retries: kafkajs gives up within a second or two instead of half a minute.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 300 },
    });
    const publisher = new Transport(adapter, { logger: silentLogger(), namespace });
    open.push(publisher);
    await publisher.start();

    // One key, so one partition and one sequence; the first publish loads the producer's metadata.
    const first = toolCall("agent-lost-answer", { n: 1 });
    await publisher.publish(first);
    const unanswered = toolCall("agent-lost-answer", { n: 2 });
    network.loseAnswers();
    await expect(publisher.publish(unanswered)).rejects.toMatchObject({ retriable: true });
    network.heal();
    const next = toolCall("agent-lost-answer", { n: 3 });
    await publisher.publish(next);

    const reader = await createTransport(url, { logger: silentLogger(), namespace, clientId: `reader-${namespace}` });
    open.push(reader);
    const seen = new Set<string>();
    await reader.subscribe({
      group: "reader",
      topics: [TOPICS.toolCalls],
      handler: (event) => {
        seen.add(event.id);
        return Promise.resolve();
      },
    });
    await waitFor(() => seen.has(first.id), "the first publish to be read", 30_000);
    await waitFor(() => seen.has(unanswered.id), "the unanswered publish, which the broker wrote", 10_000);
    // Before the fix the broker answered "written" for this one and dropped it as a duplicate of the last.
    await waitFor(() => seen.has(next.id), "the publish after it, which the broker answered as written", 10_000);
    expect([...seen].sort()).toEqual([first.id, unanswered.id, next.id].sort());
  });
});
