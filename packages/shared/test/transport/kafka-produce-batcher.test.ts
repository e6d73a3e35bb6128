import { describe, expect, it } from "vitest";
import { AirlockError, UnavailableError } from "../../src/errors.js";
import {
  PRODUCE_BATCH_LIMITS,
  ProduceBatcher,
  type ProduceMessage,
  type ProduceSender,
} from "../../src/transport/kafka/produce-batcher.js";

const message = (n: number, topic = "t"): ProduceMessage => ({ topic, key: `k${n % 3}`, value: Buffer.from(`m${n}`) });
const names = (messages: readonly ProduceMessage[]): string[] => messages.map((m) => m.value.toString());

/** A broker that answers each request when the test says so. */
function manualBroker(fail?: (messages: readonly ProduceMessage[]) => Error | undefined) {
  const requests: Array<{ kind: "one" | "batch"; messages: ProduceMessage[]; answer: () => void }> = [];
  const request = (kind: "one" | "batch", messages: ProduceMessage[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      requests.push({
        kind,
        messages,
        answer: () => {
          const error = fail?.(messages);
          if (error) reject(error);
          else resolve();
        },
      });
    });
  const sender: ProduceSender = {
    one: (m) => request("one", [m]),
    batch: (ms) => request("batch", [...ms]),
  };
  return { sender, requests };
}

/** "sent", or the message of the error a publish failed with. */
const outcome = (published: Promise<void>): Promise<string> =>
  published.then(
    () => "sent",
    (error: unknown) => (error as Error).message,
  );

/** Let the batcher's promise chains run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Answer the first `count` requests in order, each once the batcher had a turn to send it. */
async function answerInOrder(requests: ReadonlyArray<{ answer: () => void }>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await turn();
    requests[i]!.answer();
  }
}

describe("the Kafka produce batcher", () => {
  it("sends the publishes of one turn together, and what comes while they are in flight together next, in order", async () => {
    const { sender, requests } = manualBroker();
    const batcher = new ProduceBatcher(sender);
    const first = [0, 1].map((n) => batcher.publish(message(n, n === 0 ? "t" : "u")));
    await turn();
    expect(requests.map((r) => [r.kind, names(r.messages)])).toEqual([["batch", ["m0", "m1"]]]);
    const later = [2, 3, 4].map((n) => batcher.publish(message(n, n % 2 === 0 ? "t" : "u")));
    await turn();
    expect(requests).toHaveLength(1);
    requests[0]!.answer();
    await Promise.all(first);
    await turn();
    expect(requests.map((r) => [r.kind, names(r.messages)])).toEqual([
      ["batch", ["m0", "m1"]],
      ["batch", ["m2", "m3", "m4"]],
    ]);
    requests[1]!.answer();
    await Promise.all(later);
  });

  it("sends a lone publish as one message", async () => {
    const { sender, requests } = manualBroker();
    const batcher = new ProduceBatcher(sender);
    const only = batcher.publish(message(0));
    await turn();
    expect(requests.map((r) => [r.kind, names(r.messages)])).toEqual([["one", ["m0"]]]);
    requests[0]!.answer();
    await only;
  });

  it("fails every message of a request the broker could not take now, for their callers to retry", async () => {
    const { sender, requests } = manualBroker((ms) =>
      ms.length > 1 ? new UnavailableError("broker away") : undefined,
    );
    const batcher = new ProduceBatcher(sender);
    const first = batcher.publish(message(0));
    await turn();
    const rest = [1, 2].map((n) => outcome(batcher.publish(message(n))));
    await answerInOrder(requests, 2);
    await first;
    expect(await Promise.all(rest)).toEqual(["broker away", "broker away"]);
    expect(requests).toHaveLength(2);
  });

  it("sends a request refused for good again a message at a time, so only the message at fault is refused", async () => {
    const refused = (ms: readonly ProduceMessage[]) =>
      names(ms).includes("m2")
        ? new AirlockError("too large", { code: "broker_refused", retriable: false })
        : undefined;
    const { sender, requests } = manualBroker(refused);
    const batcher = new ProduceBatcher(sender);
    const first = batcher.publish(message(0));
    await turn();
    const rest = [1, 2, 3].map((n) => outcome(batcher.publish(message(n))));
    // m0 alone; the batch of three, refused; then each of the three alone, in order.
    await answerInOrder(requests, 5);
    await first;
    expect(await Promise.all(rest)).toEqual(["sent", "too large", "sent"]);
    expect(requests.map((r) => [r.kind, names(r.messages)])).toEqual([
      ["one", ["m0"]],
      ["batch", ["m1", "m2", "m3"]],
      ["one", ["m1"]],
      ["one", ["m2"]],
      ["one", ["m3"]],
    ]);
  });

  it("keeps a request within its bounds", async () => {
    const { sender, requests } = manualBroker();
    const batcher = new ProduceBatcher(sender);
    const first = batcher.publish(message(0));
    await turn();
    const count = PRODUCE_BATCH_LIMITS.messages + 10;
    const rest = Array.from({ length: count }, (_, i) => batcher.publish(message(i + 1)));
    const big = batcher.publish({ topic: "t", key: "k", value: Buffer.alloc(PRODUCE_BATCH_LIMITS.bytes) });
    await answerInOrder(requests, 4);
    await Promise.all([first, ...rest, big]);
    expect(requests.map((r) => r.messages.length)).toEqual([1, PRODUCE_BATCH_LIMITS.messages, 10, 1]);
  });
});
