import { describe, expect, it } from "vitest";
import { createEvent } from "@airlock/shared";
import { VerdictWaiter } from "../src/index.js";

const verdict = (callId: string) =>
  createEvent({
    type: "airlock.verdict.final",
    source: "test",
    subject: callId,
    data: {
      call_id: callId,
      agent_id: "agent-1",
      action_digest: "a".repeat(64),
      allowed: true,
      outcome: "allow",
      reason: "fine",
      decided_by: "policy",
    },
  });

describe("VerdictWaiter", () => {
  it("forget ends a wait at once with no verdict, and leaves other calls waiting", async () => {
    const waiter = new VerdictWaiter();
    const forgotten = waiter.wait("c-1", 60_000);
    const other = waiter.wait("c-2", 60_000);
    waiter.forget("c-1");
    expect(await forgotten).toBeUndefined();
    expect(waiter.pending).toBe(1);
    const event = verdict("c-2");
    waiter.deliver(event);
    expect(await other).toBe(event);
    expect(waiter.pending).toBe(0);
    waiter.forget("c-unknown");
  });

  it("still ends a wait when the caller's signal aborts", async () => {
    const waiter = new VerdictWaiter();
    const abort = new AbortController();
    const waiting = waiter.wait("c-1", 60_000, abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    expect(waiter.pending).toBe(0);
  });
});
