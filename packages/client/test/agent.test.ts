import { afterEach, describe, expect, it } from "vitest";
import {
  TOPICS,
  createEvent,
  createTransport,
  silentLogger,
  type AirlockEvent,
  type EventData,
  type Transport,
  UnavailableError,
} from "@airlock/shared";
import { uniqueNamespace, waitFor } from "@airlock/shared/testing";
import { DeniedError, connectBroker, connectHttp, guard, verdictFromEvent, type AgentClient } from "../src/index.js";

/** A stand-in for the policy service that answers each call as `answer` says (or not at all). */
async function fakePolicy(
  transport: Transport,
  answer: (call: EventData<"airlock.tool_call.requested">) => Partial<EventData<"airlock.verdict.final">> | undefined,
  seen: AirlockEvent[],
): Promise<void> {
  await transport.subscribe({
    group: "fake-policy",
    topics: [TOPICS.toolCalls],
    handler: async (event) => {
      seen.push(event);
      if (event.type !== "airlock.tool_call.requested") return;
      const call = event.data;
      const verdict = answer(call);
      if (!verdict) return;
      await transport.publish(
        createEvent({
          type: "airlock.verdict.final",
          source: "fake-policy",
          subject: call.call_id,
          data: {
            call_id: call.call_id,
            agent_id: call.agent_id,
            action_digest: call.action_digest,
            allowed: true,
            outcome: "allow",
            reason: "fine",
            decided_by: "policy",
            ...verdict,
          },
        }),
      );
    },
  });
}

describe("agent SDK over the broker", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    answer: Parameters<typeof fakePolicy>[1],
  ): Promise<{ agent: AgentClient; seen: AirlockEvent[] }> {
    const transport = await createTransport("memory://", { logger: silentLogger(), namespace: uniqueNamespace("sdk") });
    await transport.start();
    cleanups.push(() => transport.close());
    const seen: AirlockEvent[] = [];
    await fakePolicy(transport, answer, seen);
    const agent = await connectBroker({ agent: "agent-1", transport });
    cleanups.push(() => agent.close());
    return { agent, seen };
  }

  it("returns the verdict for the call", async () => {
    const { agent } = await setup(() => ({}));
    expect(await agent.check({ tool: "search", args: { q: "x" } })).toMatchObject({
      allowed: true,
      outcome: "allow",
      decided_by: "policy",
    });
  });

  it("fails closed when nothing answers in time, and cancels the call", async () => {
    const { agent, seen } = await setup(() => undefined);
    const verdict = await agent.check({ tool: "search" }, { timeout: 50 });
    expect(verdict).toMatchObject({ allowed: false, outcome: "expired", decided_by: "client" });
    await waitFor(() => seen.some((e) => e.type === "airlock.tool_call.cancelled"), "the cancellation");
  });

  it("fails closed on abort", async () => {
    const { agent } = await setup(() => undefined);
    const abort = new AbortController();
    const pending = agent.check({ tool: "search" }, { timeout: 60_000, signal: abort.signal });
    abort.abort();
    expect(await pending).toMatchObject({ allowed: false, outcome: "cancelled", decided_by: "client" });
  });

  it("never allows on a verdict that names another action", async () => {
    // Waiters are keyed by call id, agent and digest: a verdict for another action is not this call's,
    // so the call gets none and fails closed.
    const { agent } = await setup(() => ({ action_digest: "0".repeat(64) }));
    const verdict = await agent.check({ tool: "transfer", args: { amount: 5 } }, { timeout: 300 });
    expect(verdict).toMatchObject({ allowed: false, decided_by: "client" });
  });

  it("never allows on a verdict that names another call id or agent", () => {
    const asked = { call_id: "c-1", agent_id: "a-1", action_digest: "d".repeat(64) };
    const allow = { ...asked, allowed: true, outcome: "allow", reason: "", decided_by: "policy" } as const;
    expect(verdictFromEvent(allow, asked).allowed).toBe(true);
    for (const other of [{ call_id: "c-2" }, { agent_id: "a-2" }, { action_digest: "e".repeat(64) }]) {
      const verdict = verdictFromEvent({ ...allow, ...other }, asked);
      expect(verdict).toMatchObject({ allowed: false, decided_by: "client", call_id: "c-1" });
      expect(verdict.reason).toMatch(/another call/);
    }
  });

  it("guard runs the tool only when allowed, with the exact arguments checked", async () => {
    const { agent, seen } = await setup((call) =>
      call.args["amount"] === 5 ? {} : { allowed: false, outcome: "deny", reason: "too much" },
    );
    const ran: unknown[] = [];
    const transfer = guard(agent, "transfer", (args: { amount: number }) => {
      ran.push(args);
      return Promise.resolve("done");
    });
    const args = { amount: 5 };
    const result = transfer(args);
    args.amount = 5000; // changed after the check began: the tool still gets what was checked
    expect(await result).toBe("done");
    expect(ran).toEqual([{ amount: 5 }]);
    expect(Object.isFrozen(ran[0])).toBe(true);
    await expect(transfer({ amount: 6 })).rejects.toBeInstanceOf(DeniedError);
    expect(ran).toHaveLength(1);
    const checked = seen.filter((e) => e.type === "airlock.tool_call.requested").map((e) => e.data.args);
    expect(checked).toEqual([{ amount: 5 }, { amount: 6 }]);
  });
});

describe("agent SDK when Airlock cannot be reached", () => {
  it("over the broker: denies a call the broker will not take, instead of throwing", async () => {
    const transport = await createTransport("memory://", { logger: silentLogger(), namespace: uniqueNamespace("sdk") });
    await transport.start();
    const agent = await connectBroker({ agent: "agent-1", transport });
    try {
      // The broker goes away under the agent: publishes fail from here on.
      transport.publish = () => Promise.reject(new UnavailableError("the broker is down"));
      const verdict = await agent.check({ tool: "transfer", args: { amount: 5 } }, { timeout: 60_000 });
      expect(verdict).toMatchObject({ allowed: false, outcome: "expired", decided_by: "client" });
      expect(verdict.reason).toMatch(/could not reach Airlock \(the broker is down\)/);
    } finally {
      await agent.close();
      await transport.close();
    }
  });

  it("over HTTP: denies when nothing listens, or the server fails; throws on a request it refuses", async () => {
    // Port 9 (discard) on loopback: nothing listens there, the connection is refused.
    const down = await connectHttp({ agent: "agent-1", url: "http://127.0.0.1:9" });
    const refused = await down.check({ tool: "transfer" }, { timeout: 60_000 });
    expect(refused).toMatchObject({ allowed: false, outcome: "expired", decided_by: "client" });
    expect(refused.reason).toMatch(/could not reach Airlock/);

    const answering =
      (status: number): typeof fetch =>
      () =>
        Promise.resolve(
          new Response(JSON.stringify({ error: { code: "x", message: `status ${status}` } }), {
            status,
            headers: { "content-type": "application/json" },
          }),
        );
    const failing = await connectHttp({ agent: "agent-1", url: "http://airlock.invalid", fetch: answering(503) });
    expect(await failing.check({ tool: "transfer" }, { timeout: 60_000 })).toMatchObject({
      allowed: false,
      decided_by: "client",
    });
    const strict = await connectHttp({ agent: "agent-1", url: "http://airlock.invalid", fetch: answering(400) });
    await expect(strict.check({ tool: "transfer" }, { timeout: 60_000 })).rejects.toThrow(/400: status 400/);
  });
});
