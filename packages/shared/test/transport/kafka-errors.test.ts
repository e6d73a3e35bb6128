import { describe, expect, it } from "vitest";
import { kafkaFault, producerStateLost } from "../../src/transport/kafka/errors.js";

class BrokerError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

// Whether a kafkajs failure is worth retrying decides whether the outbox keeps trying a row or
// dead-letters it: a row the broker refuses for good must not hold up every row behind it.
describe("kafka faults", () => {
  it("is retriable when the broker or network may answer next time", () => {
    expect(kafkaFault("publishing", new BrokerError("connection refused", true)).retriable).toBe(true);
    expect(kafkaFault("publishing", new Error("unknown")).retriable).toBe(true);
  });

  it("is final when the root cause is marked non-retriable", () => {
    const wrapped = new Error("gave up", { cause: new BrokerError("message too large", false) });
    expect(kafkaFault("publishing", wrapped)).toMatchObject({ retriable: false, code: "broker_refused" });
  });

  it("is final when every error an aggregate gathers is (createTopics with a colliding name)", () => {
    const aggregate = Object.assign(new Error("topic creation errors"), {
      errors: [new BrokerError("INVALID_TOPIC_EXCEPTION: airlock_verdicts collides with airlock.verdicts", false)],
    });
    expect(kafkaFault("declaring a topic", aggregate).retriable).toBe(false);
    const mixed = Object.assign(new Error("topic creation errors"), {
      errors: [new BrokerError("collides", false), new BrokerError("not leader", true)],
    });
    expect(kafkaFault("declaring a topic", mixed).retriable).toBe(true);
  });

  it("tells a producer whose sequence the broker lost (after a broker restart) from other refusals", () => {
    // kafkajs: KafkaJSNonRetriableError wrapping a KafkaJSProtocolError with the broker's error type.
    const protocol = (type: string) => Object.assign(new BrokerError(type, false), { type });
    const wrapped = (type: string) => new Error("gave up", { cause: protocol(type) });
    expect(producerStateLost(wrapped("OUT_OF_ORDER_SEQUENCE_NUMBER"))).toBe(true);
    expect(producerStateLost(wrapped("UNKNOWN_PRODUCER_ID"))).toBe(true);
    expect(producerStateLost(wrapped("INVALID_PRODUCER_EPOCH"))).toBe(true);
    expect(producerStateLost(wrapped("MESSAGE_TOO_LARGE"))).toBe(false);
    expect(producerStateLost(new Error("connection refused"))).toBe(false);
    const aggregate = Object.assign(new Error("several"), { errors: [protocol("OUT_OF_ORDER_SEQUENCE_NUMBER")] });
    expect(producerStateLost(aggregate)).toBe(true);
  });
});
