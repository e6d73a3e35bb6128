import { describe, expect, it } from "vitest";
import { OffsetBook, PartitionOffsets } from "../../src/transport/kafka/offsets.js";

// Kafka commits a position, not single messages: these are the rules that keep "commit only after the
// handler succeeded" true when messages of one partition finish out of order.
describe("kafka commit positions", () => {
  it("moves only over the unbroken run of finished messages", () => {
    const p = new PartitionOffsets();
    const [a, b, c] = [p.handOut(10n), p.handOut(11n), p.handOut(12n)];
    p.finish(b);
    p.finish(c);
    expect(p.uncommitted()).toBeUndefined();
    p.finish(a);
    expect(p.uncommitted()).toBe(13n);
  });

  it("does not commit the same position twice, nor move backwards", () => {
    const p = new PartitionOffsets();
    p.finish(p.handOut(0n));
    expect(p.uncommitted()).toBe(1n);
    p.committed(1n);
    expect(p.uncommitted()).toBeUndefined();
    p.committed(0n);
    expect(p.uncommitted()).toBeUndefined();
  });

  it("hands out nothing past a rewound message until that message comes again", () => {
    const p = new PartitionOffsets();
    p.finish(p.handOut(4n));
    p.handOut(5n);
    p.rewind(5n);
    // Fetched before the seek took effect: finishing it must not commit over offset 5.
    const early = p.handOut(6n);
    expect(early.live).toBe(false);
    p.finish(early);
    expect(p.uncommitted()).toBe(5n);
    const again = p.handOut(5n);
    expect(again.live).toBe(true);
    p.finish(again);
    p.finish(p.handOut(6n));
    expect(p.uncommitted()).toBe(7n);
  });

  it("forgets what was handed out after a rewind, so a failed message is read again before anything past it commits", () => {
    const p = new PartitionOffsets();
    const failed = p.handOut(5n);
    const later = p.handOut(6n);
    p.rewind(5n);
    p.finish(later);
    expect(p.uncommitted()).toBeUndefined();
    expect(p.rewinds).toBe(1);
    const again = p.handOut(5n);
    p.finish(failed);
    expect(p.uncommitted()).toBeUndefined();
    p.finish(again);
    p.finish(p.handOut(6n));
    expect(p.uncommitted()).toBe(7n);
  });

  it("treats an offset handed out again as a rewind", () => {
    const p = new PartitionOffsets();
    const first = p.handOut(3n);
    p.handOut(4n);
    const again = p.handOut(3n);
    p.finish(first);
    expect(p.uncommitted()).toBeUndefined();
    p.finish(again);
    expect(p.uncommitted()).toBe(4n);
  });

  it("reports the positions of every partition that moved", () => {
    const book = new OffsetBook();
    book.partition("t", 0).finish(book.partition("t", 0).handOut(0n));
    book.partition("t", 1).handOut(0n);
    expect(book.uncommitted()).toEqual([{ topic: "t", partition: 0, offset: "1" }]);
    book.committed([{ topic: "t", partition: 0, offset: "1" }]);
    expect(book.uncommitted()).toEqual([]);
  });
});
