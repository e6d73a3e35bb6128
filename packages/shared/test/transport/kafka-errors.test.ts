import { describe, expect, it } from "vitest";
import { kafkaFault } from "../../src/transport/kafka/errors.js";

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
});
