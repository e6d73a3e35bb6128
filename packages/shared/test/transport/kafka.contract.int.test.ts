import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createTransport, silentLogger, type RawMessage } from "../../src/index.js";
import { KafkaAdapter } from "../../src/transport/kafka/adapter.js";
import { uniqueNamespace, waitFor } from "../helpers.js";
import { deleteNamespaced, groupsStartingWith, kafkaTestUrl, withOptions } from "./kafka-helpers.js";
import { transportContract } from "./contract.js";

const url = kafkaTestUrl();
const namespaces = new Set<string>();

transportContract("kafka", async (namespace) => {
  namespaces.add(namespace);
  const transport = await createTransport(url, {
    logger: silentLogger(),
    namespace,
    clientId: `airlock-test-${namespace}`,
  });
  await transport.start();
  return transport;
});

// What Kafka adds to the contract: a commit is a position in a partition, so it must stop at the first message
// whose handler has not succeeded, and a member holds at most `prefetch` messages. Against the raw adapter, on
// topics of one partition, so every message shares one position.
describe("kafka adapter: commit positions and prefetch", () => {
  const open: KafkaAdapter[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((adapter) => adapter.close()));
  });

  async function adapter(
    namespace = uniqueNamespace("k"),
  ): Promise<{ kafka: KafkaAdapter; topic: string; group: string; namespace: string }> {
    namespaces.add(namespace);
    const kafka = new KafkaAdapter(withOptions(url, { partitions: "1" }), {
      logger: silentLogger(),
      clientId: `airlock-test-${namespace}`,
    });
    open.push(kafka);
    const topic = `${namespace}.stream`;
    await kafka.start([topic]);
    return { kafka, topic, group: `${namespace}.group`, namespace };
  }
  const numberOf = (message: RawMessage): number => Number(message.value.toString("utf8"));
  async function publishNumbers(kafka: KafkaAdapter, topic: string, count: number, key: (n: number) => string) {
    for (let n = 0; n < count; n++) await kafka.publish(topic, key(n), Buffer.from(String(n)));
  }

  it("commits up to the first unfinished message, so the next member starts there and not before", async () => {
    const { kafka, topic, group, namespace } = await adapter();
    await publishNumbers(kafka, topic, 10, (n) => (n % 2 ? "b" : "a"));
    const first: number[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const member = await kafka.consume({ group, topics: [topic], prefetch: 10 }, async (message) => {
      const n = numberOf(message);
      if (n === 4) {
        await released;
        throw new Error("stopping before it finished");
      }
      first.push(n);
    });
    try {
      await waitFor(() => first.length === 9, "every message but number 4 to be handled");
    } finally {
      // Closing waits for the handlers in flight: release number 4 whatever happened.
      const closing = member.close();
      release();
      await closing;
    }
    // Another client, so the position comes from the broker, not from what this one remembers committing.
    const other = await adapter(namespace);
    const second: number[] = [];
    await other.kafka.consume({ group, topics: [topic], prefetch: 10 }, (message) => {
      second.push(numberOf(message));
      return Promise.resolve();
    });
    // One partition, read in order: had 0–3 come again, they would be among the first six.
    await waitFor(() => second.length >= 6, "the second member to read on from number 4");
    expect(second.slice(0, 6)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it("reads a partition again from a message whose handler rejected, marked redelivered", async () => {
    const { kafka, topic, group } = await adapter();
    const seen: { n: number; redelivered: boolean }[] = [];
    let rejected = false;
    await kafka.consume({ group, topics: [topic], prefetch: 4 }, (message) => {
      const n = numberOf(message);
      seen.push({ n, redelivered: message.redelivered });
      if (n === 2 && !rejected) {
        rejected = true;
        return Promise.reject(new Error("not now"));
      }
      return Promise.resolve();
    });
    await publishNumbers(kafka, topic, 6, () => "k");
    await waitFor(() => seen.filter((s) => s.n === 2).length === 2, "number 2 to come again");
    await waitFor(() => seen.some((s) => s.n === 5), "the rest of the stream");
    expect(seen.filter((s) => s.n === 2)).toEqual([
      { n: 2, redelivered: false },
      { n: 2, redelivered: true },
    ]);
    // Nothing before the rejected message is read again.
    expect(seen.filter((s) => s.n < 2)).toEqual([
      { n: 0, redelivered: false },
      { n: 1, redelivered: false },
    ]);
  });

  it("holds at most `prefetch` messages at once", async () => {
    const { kafka, topic, group } = await adapter();
    await publishNumbers(kafka, topic, 12, (n) => `key-${n}`);
    let active = 0;
    let most = 0;
    let handled = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await kafka.consume({ group, topics: [topic], prefetch: 3 }, async () => {
      most = Math.max(most, ++active);
      await released;
      active--;
      handled++;
    });
    try {
      await waitFor(() => active === 3, "three messages in flight");
    } finally {
      // Closing waits for the handlers in flight: let them go whatever happened.
      release();
    }
    await waitFor(() => handled === 12, "all 12 messages");
    expect(most).toBe(3);
  });

  it("deletes an ephemeral member's group when it closes", async () => {
    const { kafka, topic, namespace } = await adapter();
    const waiter = await kafka.consume(
      { group: `${namespace}.waiter`, topics: [topic], prefetch: 1, ephemeral: true },
      () => Promise.resolve(),
    );
    expect(await groupsStartingWith(url, `${namespace}.waiter.`)).toHaveLength(1);
    await waiter.close();
    expect(await groupsStartingWith(url, `${namespace}.waiter.`)).toEqual([]);
  });
});

afterAll(async () => {
  try {
    await deleteNamespaced(url, namespaces);
  } catch (error) {
    // Tidying a shared broker is a courtesy, not part of the contract: the names were unique anyway.
    console.warn("could not delete the test's topics and groups:", error);
  }
});
