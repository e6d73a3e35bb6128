import { describe, expect, it } from "vitest";
import { MEMORY_RETENTION, MemoryAdapter, MemoryHub } from "../../src/transport/memory.js";
import { waitFor } from "../helpers.js";

// The in-process broker of `npm start` runs for weeks: its replay log for late groups must not keep every
// event it ever carried.
describe("memory broker retention", () => {
  it("keeps the newest messages of a topic for a group that joins later, and drops the oldest", async () => {
    const adapter = new MemoryAdapter(new MemoryHub());
    const total = MEMORY_RETENTION.messages + 5;
    for (let i = 0; i < total; i++) await adapter.publish("t", `k${i % 7}`, Buffer.from(String(i)));
    const seen: number[] = [];
    const consumer = await adapter.consume({ group: "late", topics: ["t"], prefetch: 64, ordered: false }, (m) => {
      seen.push(Number(m.value.toString()));
      return Promise.resolve();
    });
    await waitFor(() => seen.length >= MEMORY_RETENTION.messages, "the retained messages", 20_000);
    await consumer.close();
    expect(seen.length).toBe(MEMORY_RETENTION.messages);
    expect(Math.min(...seen)).toBe(5);
    expect(Math.max(...seen)).toBe(total - 1);
  });

  it("gives a group that existed when they were published every message, retention or not", async () => {
    const adapter = new MemoryAdapter(new MemoryHub());
    const seen = new Set<number>();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A slow group: it holds the first message until every message is published.
    const consumer = await adapter.consume({ group: "slow", topics: ["t"], prefetch: 1 }, async (m) => {
      await held;
      seen.add(Number(m.value.toString()));
    });
    const total = MEMORY_RETENTION.messages + 50;
    for (let i = 0; i < total; i++) await adapter.publish("t", "one", Buffer.from(String(i)));
    release();
    await waitFor(() => seen.size >= total, "every message", 30_000);
    await consumer.close();
    expect(seen.size).toBe(total);
  });
});
