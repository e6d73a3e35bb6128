import type { Consumer } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../src/index.js";
import { COMMIT_DELAY_MS, Committer } from "../../src/transport/kafka/committer.js";
import type { Generation } from "../../src/transport/kafka/incarnation.js";
import { OffsetBook, type CommitPosition } from "../../src/transport/kafka/offsets.js";

/** A generation whose consumer records each OffsetCommit and answers it when the test says so. */
function fakeGeneration() {
  const book = new OffsetBook();
  const requests: Array<{ positions: CommitPosition[]; answer: () => void }> = [];
  const consumer = {
    commitOffsets: (positions: CommitPosition[]) =>
      new Promise<void>((resolve) => requests.push({ positions, answer: resolve })),
  } as unknown as Consumer;
  const generation: Generation = { incarnation: { consumer, joined: true, dead: false }, book };
  let next = 0n;
  /** One more message of partition 0 handled: its position may be committed. */
  const finishOne = (): void => {
    const offsets = book.partition("t", 0);
    offsets.finish(offsets.handOut(next++));
  };
  return { generation, requests, finishOne };
}

describe("the Kafka offset committer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("commits a delay after a message finished, and what finishes meanwhile a delay after that", async () => {
    const { generation, requests, finishOne } = fakeGeneration();
    const committer = new Committer(() => generation, silentLogger());
    finishOne();
    committer.schedule();
    await vi.advanceTimersByTimeAsync(COMMIT_DELAY_MS - 1);
    expect(requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests.map((r) => r.positions)).toEqual([[{ topic: "t", partition: 0, offset: "1" }]]);
    // A stream of finished messages while the request is on the wire: no request at once when it ends.
    for (let i = 0; i < 5; i++) {
      finishOne();
      committer.schedule();
    }
    requests[0]!.answer();
    await vi.advanceTimersByTimeAsync(COMMIT_DELAY_MS - 1);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests.map((r) => r.positions)).toEqual([
      [{ topic: "t", partition: 0, offset: "1" }],
      [{ topic: "t", partition: 0, offset: "6" }],
    ]);
    requests[1]!.answer();
    await vi.advanceTimersByTimeAsync(COMMIT_DELAY_MS * 5);
    expect(requests).toHaveLength(2);
  });

  it("commits at once on flush, without waiting for the delay", async () => {
    const { generation, requests, finishOne } = fakeGeneration();
    const committer = new Committer(() => generation, silentLogger());
    finishOne();
    committer.schedule();
    const flushed = committer.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(requests.map((r) => r.positions)).toEqual([[{ topic: "t", partition: 0, offset: "1" }]]);
    requests[0]!.answer();
    await flushed;
    // The timer schedule() set is gone with the flush: nothing more is sent.
    await vi.advanceTimersByTimeAsync(COMMIT_DELAY_MS * 2);
    expect(requests).toHaveLength(1);
  });
});
