import type { Channel, ConsumeMessage } from "amqplib";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_DELAY_MS, AckQueue } from "../../src/transport/amqp/ack-queue.js";

// What the queue sends, as [method, delivery tag, multiple or requeue].
function fakeChannel(sent: Array<[string, number, boolean]>, fail = false): Channel {
  const record = (method: string) => (message: ConsumeMessage, flag?: boolean) => {
    if (fail) throw new Error("Channel closed");
    sent.push([method, message.fields.deliveryTag, flag ?? false]);
  };
  return {
    ack: record("ack"),
    nack: (m: ConsumeMessage, _all?: boolean, requeue?: boolean) => record("nack")(m, requeue),
  } as unknown as Channel;
}

const message = (tag: number) => ({ fields: { deliveryTag: tag } }) as ConsumeMessage;

describe("AckQueue (RabbitMQ acks sent together)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("acks the handled run from the oldest message with one multiple ack, the rest one by one", () => {
    const sent: Array<[string, number, boolean]> = [];
    const queue = new AckQueue(fakeChannel(sent), () => undefined);
    const [m1, m2, m3, m4, m5] = [1, 2, 3, 4, 5].map((tag) => queue.received(message(tag)));
    queue.ack(m1!);
    queue.ack(m2!);
    queue.ack(m4!);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(sent).toEqual([
      ["ack", 2, true],
      ["ack", 4, false],
    ]);
    queue.ack(m3!);
    queue.ack(m5!);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    // 4 was acked already, so "everything up to 5" covers only 3 and 5.
    expect(sent.slice(2)).toEqual([["ack", 5, true]]);
  });

  it("sends a lone ack without multiple, and nacks (requeue) at once", () => {
    const sent: Array<[string, number, boolean]> = [];
    const queue = new AckQueue(fakeChannel(sent), () => undefined);
    const [m1, m2] = [7, 8].map((tag) => queue.received(message(tag)));
    queue.nack(m1!);
    expect(sent).toEqual([["nack", 7, true]]);
    queue.ack(m2!);
    queue.flush();
    expect(sent).toEqual([
      ["nack", 7, true],
      ["ack", 8, false],
    ]);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(sent).toHaveLength(2);
  });

  it("reports a closed channel instead of throwing", () => {
    const errors: unknown[] = [];
    const queue = new AckQueue(fakeChannel([], true), (error) => errors.push(error));
    queue.ack(queue.received(message(1)));
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(errors).toHaveLength(1);
  });
});
