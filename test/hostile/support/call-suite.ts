import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionDigest, createEvent, newId } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { DeadLetterWatch, type HostileTarget } from "./stacks.js";

// Reused call ids and hostile reply_to, on one Airlock: each bypass class is refused or denied, and
// afterwards the system still decides good calls within a second, and loses none of them.

/** POST a call to the HTTP API; resolves to the status and body. */
async function post(url: string, body: unknown, wait = ""): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}/v1/tool-calls${wait}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The error code of a JSON error body. */
function code(json: Record<string, unknown>): unknown {
  return (json["error"] as { code?: unknown } | undefined)?.code;
}

/** The hostile suite for call ids and reply_to, on the target `start` gives. */
export function describeCallSuite(name: string, start: () => Promise<HostileTarget>): void {
  describe(`reused call ids and hostile reply_to (${name})`, () => {
    let target: HostileTarget;
    let letters: DeadLetterWatch;

    beforeAll(async () => {
      target = await start();
      letters = await DeadLetterWatch.start(target.transport, `hostile-calls-${newId().slice(0, 6)}`);
    }, 180_000);
    afterAll(async () => {
      await letters?.close();
      await target?.stop();
    });

    /**
     * Good calls are still decided, and none is lost. Each within 5 s: on a quiet machine a call takes a
     * few milliseconds, and what this guards against was an Airlock down for good (or for the agents' 30 s);
     * CI runs it beside the fault suites, where a second is sometimes not enough.
     */
    async function stillDecides(): Promise<void> {
      const url = target.url();
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const { status, json } = await post(url, { agent_id: "good-agent", tool: "search_documents" }, "?wait=5s");
        expect(status).toBe(200);
        expect((json["verdict"] as { allowed: boolean }).allowed).toBe(true);
        expect(Date.now() - started, "a good call decided within 5 s").toBeLessThan(5000);
      }
    }

    it("a reused call_id over HTTP: 409 duplicate_call, never the first call's allow", async () => {
      const url = target.url();
      const callId = `reused-${newId()}`;
      const first = await post(
        url,
        { agent_id: "finance-bot", tool: "search_documents", call_id: callId },
        "?wait=10s",
      );
      expect(first.status).toBe(200);
      expect((first.json["verdict"] as { allowed: boolean }).allowed).toBe(true);
      for (const body of [
        { agent_id: "finance-bot", tool: "delete_database", call_id: callId },
        { agent_id: "finance-bot", tool: "search_documents", call_id: callId },
        { agent_id: "other-bot", tool: "search_documents", call_id: callId },
      ]) {
        const again = await post(url, body, "?wait=2s");
        expect(again.status, JSON.stringify(again.json)).toBe(409);
        expect(code(again.json)).toBe("duplicate_call");
      }
      // Asking after the call with another action is refused too, never answered with the allow.
      const digest = actionDigest({ agent_id: "finance-bot", tool: "delete_database", args: {} });
      const get = await fetch(`${url}/v1/tool-calls/${callId}?wait=1s&agent_id=finance-bot&action_digest=${digest}`);
      expect(get.status).toBe(409);
      await stillDecides();
    }, 60_000);

    it("a reused call_id on the broker: dead-lettered with the reason, and never decided", async () => {
      const url = target.url();
      const first = await post(url, { agent_id: "broker-bot", tool: "reports.quarterly" }, "?wait=10s");
      const callId = first.json["call_id"] as string;
      const call = { agent_id: "broker-bot", tool: "delete_database", args: {} };
      const reuse = createEvent({
        type: "airlock.tool_call.requested",
        source: "agent/broker-bot",
        subject: callId,
        data: { ...call, call_id: callId, run_id: callId, action_digest: actionDigest(call) },
      });
      await target.transport.publish(reuse);
      await waitFor(() => letters.naming(reuse.id).some((l) => l.data.consumer.endsWith("policy")), "the dead letter");
      const letter = letters.naming(reuse.id).find((l) => l.data.consumer.endsWith("policy"))!;
      expect(letter.data.reason).toContain(`duplicate_call: call_id ${callId} was already submitted`);
      await stillDecides();
    }, 60_000);

    it.each([
      "amq.direct",
      "amq.topic",
      "airlock.dlx",
      "airlock.verdicts",
      "airlock.dead-letter",
      "airlock.replies.other-bot.x",
    ])(
      "reply_to %s: 400 invalid_reply_to over HTTP, dead-lettered on the broker, and good calls still decided",
      async (replyTo) => {
        const url = target.url();
        const refused = await post(
          url,
          { agent_id: "reply-bot", tool: "search_documents", reply_to: replyTo },
          "?wait=1s",
        );
        expect(refused.status).toBe(400);
        expect(code(refused.json)).toBe("invalid_reply_to");
        const marker = `hostile-reply-${newId()}`;
        const call = { agent_id: "reply-bot", tool: "search_documents", args: { marker } };
        const raw = {
          specversion: "1.0",
          id: marker,
          type: "airlock.tool_call.requested",
          source: "agent/reply-bot",
          time: new Date().toISOString(),
          datacontenttype: "application/json",
          data: { ...call, call_id: marker, run_id: marker, action_digest: actionDigest(call), reply_to: replyTo },
        };
        await target.transport.publishRaw("airlock.tool-calls", "reply-bot", JSON.stringify(raw));
        await waitFor(() => letters.naming(marker).some((l) => l.data.consumer.endsWith("policy")), "the dead letter");
        expect(letters.naming(marker)[0]!.data.reason).toMatch(/reply_to/);
        await stillDecides();
      },
      60_000,
    );

    it("an event id reused with other content: dead-lettered as a conflict by audit, the first kept", async () => {
      const call = { agent_id: "decoy-bot", tool: "search_documents", args: { n: 1 } };
      const callId = `decoy-${newId()}`;
      const first = createEvent({
        type: "airlock.tool_call.requested",
        source: "agent/decoy-bot",
        subject: callId,
        data: { ...call, call_id: callId, run_id: callId, action_digest: actionDigest(call) },
      });
      await target.transport.publish(first);
      const other = { ...call, tool: "delete_database" };
      const decoy = { ...first, data: { ...first.data, tool: "delete_database", action_digest: actionDigest(other) } };
      await waitFor(async () => {
        const response = await fetch(`${target.url()}/v1/audit/events?subject=${callId}`);
        const { events } = (await response.json()) as { events: Array<{ event: { id: string } }> };
        return events.some((entry) => entry.event.id === first.id);
      }, "the first event in the audit log");
      await target.transport.publish(decoy);
      await waitFor(
        () => letters.naming(first.id).some((l) => l.data.consumer.endsWith("audit")),
        "audit's dead letter for the conflicting copy",
      );
      const letter = letters.naming(first.id).find((l) => l.data.consumer.endsWith("audit"))!;
      expect(letter.data.reason).toContain("recorded with other content");
      await stillDecides();
    }, 60_000);

    it("a reply_to of the agent's own still gets its verdict there", async () => {
      const replyTo = `airlock.replies.own-bot.inbox-${newId()
        .replace(/[^A-Za-z0-9]/g, "")
        .slice(0, 8)}`;
      const { status, json } = await post(
        target.url(),
        { agent_id: "own-bot", tool: "search_documents", reply_to: replyTo },
        "?wait=10s",
      );
      expect(status).toBe(200);
      expect((json["verdict"] as { allowed: boolean }).allowed).toBe(true);
    }, 30_000);
  });
}
