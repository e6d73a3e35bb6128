import { describe, expect, it } from "vitest";
import { createEvent } from "@airlock/shared";
import { VerdictWaiter } from "../src/index.js";

const key = (callId: string, digest = "a".repeat(64)) => ({
  call_id: callId,
  agent_id: "agent-1",
  action_digest: digest,
});

const verdict = (callId: string, digest = "a".repeat(64)) =>
  createEvent({
    type: "airlock.verdict.final",
    source: "test",
    subject: callId,
    data: {
      call_id: callId,
      agent_id: "agent-1",
      action_digest: digest,
      allowed: true,
      outcome: "allow",
      reason: "fine",
      decided_by: "policy",
    },
  });

describe("VerdictWaiter", () => {
  it("forget ends a wait at once with no verdict, and leaves other calls waiting", async () => {
    const waiter = new VerdictWaiter();
    const forgotten = waiter.wait(key("c-1"), 60_000);
    const other = waiter.wait(key("c-2"), 60_000);
    waiter.forget(key("c-1"));
    expect(await forgotten).toBeUndefined();
    expect(waiter.pending).toBe(1);
    const event = verdict("c-2");
    waiter.deliver(event);
    expect(await other).toBe(event);
    expect(waiter.pending).toBe(0);
    waiter.forget(key("c-unknown"));
  });

  it("leaves nothing behind when overlapping waits for one call end in any order", async () => {
    const waiter = new VerdictWaiter();
    const long = new AbortController();
    const short = waiter.wait(key("c-1"), 1);
    const longer = waiter.wait(key("c-1"), 60_000, long.signal);
    expect(await short).toBeUndefined();
    long.abort();
    expect(await longer).toBeUndefined();
    expect(waiter.pending).toBe(0);
    // Both waiting: one verdict ends both.
    const a = waiter.wait(key("c-2"), 60_000);
    const b = waiter.wait(key("c-2"), 60_000);
    const event = verdict("c-2");
    waiter.deliver(event);
    expect([await a, await b]).toEqual([event, event]);
    expect(waiter.pending).toBe(0);
  });

  it("still ends a wait when the caller's signal aborts", async () => {
    const waiter = new VerdictWaiter();
    const abort = new AbortController();
    const waiting = waiter.wait(key("c-1"), 60_000, abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    expect(waiter.pending).toBe(0);
  });

  it("hands a call only a verdict naming its call id, agent and action: a reused call id gets none", async () => {
    const waiter = new VerdictWaiter();
    const deleting = waiter.wait(key("c-x", "d".repeat(64)), 50);
    expect(waiter.isKnown("c-x")).toBe(true);
    // The allow of the first call with this id (another action) is not the delete's verdict.
    waiter.deliver(verdict("c-x"));
    expect(await deleting).toBeUndefined();
    expect(waiter.isKnown("c-x")).toBe(true);
    expect(waiter.isKnown("c-never")).toBe(false);
    const other = { ...key("c-x"), agent_id: "agent-2" };
    expect(await waiter.wait(other, 10)).toBeUndefined();
    // Its own call still finds it (kept early).
    expect((await waiter.wait(key("c-x"), 10))?.data.allowed).toBe(true);
  });

  it("ends two waits for the same call with its one verdict", async () => {
    const waiter = new VerdictWaiter();
    const first = waiter.wait(key("c-2w"), 60_000);
    const second = waiter.wait(key("c-2w"), 60_000);
    const event = verdict("c-2w");
    waiter.deliver(event);
    expect(await first).toBe(event);
    expect(await second).toBe(event);
    expect(waiter.pending).toBe(0);
  });
});
