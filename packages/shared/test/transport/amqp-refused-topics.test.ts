import { describe, expect, it } from "vitest";
import { isRetriable } from "../../src/errors.js";
import { REFUSAL_TTL_MS, RefusedTopics } from "../../src/transport/amqp/topic-probe.js";

describe("topics RabbitMQ refused", () => {
  it("are refused at once for a while, then asked about again", () => {
    let now = 0;
    const refused = new RefusedTopics(() => now);
    refused.add("amq.direct", "ACCESS_REFUSED");
    expect(refused.reason("amq.direct")).toBe("ACCESS_REFUSED");
    expect(isRetriable(refused.error("amq.direct", "ACCESS_REFUSED"))).toBe(false);
    now += REFUSAL_TTL_MS + 1;
    expect(refused.reason("amq.direct")).toBeUndefined();
  });

  it("keep a topic the broker had declared before retriable: its outbox rows wait, never dead-lettered", () => {
    const refused = new RefusedTopics();
    refused.add("airlock.verdicts", "ACCESS_REFUSED (an auth backend timing out)", true);
    expect(isRetriable(refused.error("airlock.verdicts", "ACCESS_REFUSED"))).toBe(true);
  });
});
