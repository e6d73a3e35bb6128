import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@airlock/shared/testing";
import { readAuditLog, verifyAuditLog } from "../../bench/soak/audit-log.js";
import { embeddedTarget, type HostileTarget } from "./support/stacks.js";

// Strings a client may send that the stores do not hold as sent: found by the hostile HTTP sweep, pinned
// here one by one on the embedded stack (memory:// + PGlite, as `npm start`).
describe("values the embedded database does not store as sent", () => {
  let target: HostileTarget;
  beforeAll(async () => {
    target = await embeddedTarget();
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
  });

  async function submit(body: Record<string, unknown>, wait = "20s"): Promise<Response> {
    return fetch(`${target.url()}/v1/tool-calls?wait=${wait}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent_id: "edge-agent", tool: "search_documents", args: {}, ...body }),
    });
  }

  // PGlite decodes text with a TextDecoder that drops a leading U+FEFF, so a subject that begins with one
  // reads back without it and the verifier reports the entry as edited: any client can make the log of an
  // embedded deployment fail verification.
  it("a call id that begins with a byte-order mark is refused or leaves the audit log verifiable", async () => {
    const response = await submit({ call_id: "\uFEFFbom-call" });
    expect(response.status).toBeLessThan(500);
    if (response.status === 200) {
      await waitFor(
        async () => (await readAuditLog(target.url(), "&type=airlock.verdict.final")).length > 0,
        "the verdict in the log",
      );
    }
    const verified = await verifyAuditLog(target.url());
    expect(verified.ok, JSON.stringify(verified.report)).toBe(true);
  });

  // The audit log keeps every event as canonical JSON text, where a NUL is the escape \u0000; the agent
  // filter casts that text to jsonb, which refuses the escape — so one such event anywhere in the log
  // makes every `?agent=` query fail, for good (the log is append-only).
  it("an event with a NUL character in it does not break the audit log's agent filter", async () => {
    const callId = "nul-in-context";
    // Not waited for: the policy cannot store this call's decision (dead-lettered; the agent fails closed).
    const response = await submit({ call_id: callId, context: { note: "nul\u0000inside" } }, "0ms");
    expect(response.status).toBeLessThan(500);
    // Refused (400: Airlock refuses strings Postgres cannot store), or taken and in the log.
    if (response.status < 400) {
      await waitFor(
        async () => (await readAuditLog(target.url(), `&subject=${callId}`)).length > 0,
        "the call in the log",
      );
    }
    // A good call by the same agent, so the filter has something to find.
    expect((await submit({ call_id: "after-nul" }, "30s")).status).toBe(200);
    const filtered = await fetch(`${target.url()}/v1/audit/events?agent=edge-agent`);
    expect(filtered.status, await filtered.clone().text()).toBe(200);
    const { events } = (await filtered.json()) as { events: unknown[] };
    expect(events.length).toBeGreaterThan(0);
  });
});

// On the broker, bytes that are not UTF-8 are refused (dead letter: "not UTF-8 JSON"); over HTTP they are
// refused too, rather than decoded leniently with U+FFFD into a call the agent never sent.
describe("a request body that is not UTF-8", () => {
  let target: HostileTarget;
  beforeAll(async () => {
    target = await embeddedTarget();
  }, 120_000);
  afterAll(async () => {
    await target?.stop();
  });

  it("is refused with a 400, as the broker refuses such a message", async () => {
    const body = Buffer.concat([
      Buffer.from('{"agent_id":"utf8-agent","tool":"search'),
      Buffer.from([0xff, 0xc0, 0xaf]),
      Buffer.from('","args":{}}'),
    ]);
    const response = await fetch(`${target.url()}/v1/tool-calls`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
  });
});
