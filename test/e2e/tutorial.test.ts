import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@airlock/shared/testing";
import { auditEntries, Tutorial } from "./scenario.js";
import { E2E_TRANSPORTS, startDistributedStack, startEmbeddedStack, type Stack } from "./stack.js";

// The approval-workflow tutorial, end to end, on memory:// + PGlite in one process (as `npm start`), and on
// RabbitMQ and Kafka with Postgres, each service its own process.
describe.each(Object.entries(E2E_TRANSPORTS))("tutorial end to end on %s", (kind, broker) => {
  let stack: Stack;
  let tutorial: Tutorial;
  beforeAll(async () => {
    stack = kind === "memory" ? await startEmbeddedStack() : await startDistributedStack(broker);
    tutorial = new Tutorial(stack);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("allows a read-only call and denies a destructive one at once", async () => {
    const search = await tutorial.call("research-agent", "search_documents", { query: "q3 revenue" });
    expect(await search.verdict).toMatchObject({ allowed: true, outcome: "allow", decided_by: "policy" });
    const drop = await tutorial.call("research-agent", "delete_database", { name: "prod" });
    expect(await drop.verdict).toMatchObject({
      allowed: false,
      outcome: "deny",
      decided_by: "policy",
      reason: "Deleting databases is never allowed",
    });
  });

  it("escalates a transfer and allows it once two finance admins approve", async () => {
    const transfer = await tutorial.call(
      "finance-agent",
      "transfer_funds",
      { amount: 5000, to: "ACME" },
      "dave@corp.example",
    );
    const request = await tutorial.requestFor(transfer.callId);
    expect(request).toMatchObject({ state: "pending", tool: "transfer_funds", requester: "dave@corp.example" });
    expect(request.requirement.quorum).toBe(2);
    await tutorial.vote("alice@corp.example", request, "approve");
    await waitFor(async () => (await tutorial.api.get(request.id)).votes.length === 1, "alice's vote to count");
    await tutorial.vote("bob@corp.example", request, "approve");
    expect(await transfer.verdict).toMatchObject({ allowed: true, outcome: "approved", decided_by: "approval" });
  });

  it("escalates an email and denies it when a reviewer rejects it", async () => {
    const email = await tutorial.call(
      "comms-agent",
      "send_email",
      { to: "press@example.com", body: "Q3 numbers" },
      "dave@corp.example",
    );
    const request = await tutorial.requestFor(email.callId);
    await tutorial.vote("carol@corp.example", request, "reject");
    expect(await email.verdict).toMatchObject({ allowed: false, outcome: "rejected", decided_by: "approval" });
  });

  it("denies an escalation nobody answers at its timeout", async () => {
    const page = await tutorial.call("ops-agent", "page_oncall", { team: "db" }, "dave@corp.example");
    expect(await page.verdict).toMatchObject({ allowed: false, outcome: "expired", decided_by: "timeout" });
  });

  it("refuses an approval for other arguments and a requester approving their own call", async () => {
    const small = await tutorial.call(
      "finance-agent",
      "transfer_funds",
      { amount: 2000, to: "ACME" },
      "alice@corp.example",
    );
    const big = await tutorial.call(
      "finance-agent",
      "transfer_funds",
      { amount: 90000, to: "MALLORY" },
      "dave@corp.example",
    );
    const smallRequest = await tutorial.requestFor(small.callId);
    const bigRequest = await tutorial.requestFor(big.callId);
    // A vote names the digest of the action it approves: bob's approval of the small transfer cannot be
    // pointed at the big one.
    await tutorial.vote(
      "bob@corp.example",
      { id: bigRequest.id, action_digest: smallRequest.action_digest },
      "approve",
    );
    // alice asked for the small transfer: her own approval does not count.
    await tutorial.vote("alice@corp.example", smallRequest, "approve");
    await waitFor(
      async () => (await tutorial.api.get(bigRequest.id)).refusals.length === 1,
      "the mismatched vote refused",
    );
    await waitFor(
      async () => (await tutorial.api.get(smallRequest.id)).refusals.length === 1,
      "the self-approval refused",
    );
    expect((await tutorial.api.get(bigRequest.id)).refusals[0]).toMatchObject({
      reviewer: "bob@corp.example",
      reason: "digest_mismatch",
    });
    expect((await tutorial.api.get(smallRequest.id)).refusals[0]).toMatchObject({
      reviewer: "alice@corp.example",
      reason: "self_approval",
    });
    expect((await tutorial.api.get(bigRequest.id)).state).toBe("pending");
    // Real votes still resolve both: two rejects make quorum unreachable for the big one; for the small
    // one, with alice out of her own vote, both remaining admins must approve, so one reject decides.
    await tutorial.vote("alice@corp.example", bigRequest, "reject");
    await tutorial.vote("carol@corp.example", bigRequest, "reject");
    expect(await big.verdict).toMatchObject({ allowed: false, outcome: "rejected" });
    await tutorial.vote("bob@corp.example", smallRequest, "reject");
    expect(await small.verdict).toMatchObject({ allowed: false, outcome: "rejected" });
  });

  it("answers health and readiness, and counts what happened in /metrics", async () => {
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: true, broker: true } });
    if (kind !== "memory") return; // with separate processes, each service serves its own /metrics
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/airlock_decisions_total\{action="allow"\} [1-9]/);
    expect(metrics).toMatch(/airlock_decisions_total\{action="escalate"\} [1-9]/);
    expect(metrics).toMatch(/airlock_verdict_latency_seconds_count\{decided_by="policy"\} [1-9]/);
    expect(metrics).toMatch(/airlock_verdict_latency_seconds_count\{decided_by="approval"\} [1-9]/);
    expect(metrics).toMatch(/airlock_events_out_total\{topic="airlock.verdicts"\} [1-9]/);
    expect(metrics).toMatch(/airlock_events_in_total\{topic="airlock.tool-calls",group="policy"\} [1-9]/);
    expect(metrics).toMatch(/airlock_approvals_open \d+/);
  });

  it("leaves an intact audit log with every event once and one verdict per call", async () => {
    const entries = await tutorial.settledLog();
    expect(new Set(entries.map((e) => e.event_id)).size).toBe(entries.length);
    for (const callId of tutorial.callIds) {
      const ofCall = entries.filter((e) => e.subject === callId);
      expect(ofCall.filter((e) => e.type === "airlock.tool_call.requested")).toHaveLength(1);
      expect(ofCall.filter((e) => e.type === "airlock.policy.decided")).toHaveLength(1);
      expect(ofCall.filter((e) => e.type === "airlock.verdict.final")).toHaveLength(1);
    }
    const verify = await fetch(`${stack.url}/v1/audit/verify`);
    expect(verify.status).toBe(200);
    expect(await verify.json()).toMatchObject({ ok: true });
    expect((await auditEntries(stack.url, "&type=airlock.vote.refused")).length).toBeGreaterThanOrEqual(2);
  });
});
