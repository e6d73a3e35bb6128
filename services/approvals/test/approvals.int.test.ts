import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvent, newId, replyTopic, type AirlockEvent } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import {
  brokersUnderTest,
  escalation,
  eventsFor,
  handled,
  onlyVerdict,
  open,
  refusals,
  settle,
  startDeployment,
  verdict,
  voteEvent,
  type Deployment,
} from "./support/index.js";

// The approval rules of DESIGN.md end to end: real Postgres, each broker, the service as it runs.

describe.each(brokersUnderTest())("approvals over $name", ({ url }) => {
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment({ brokerUrl: url });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it("approves 2-of-3 at the second approval, with one verdict", async () => {
    const call = escalation();
    const id = await open(d, call);
    const opened = eventsFor(d, "airlock.approval.opened", call.call_id)[0]!.data;
    expect(opened).toMatchObject({
      agent_id: call.agent_id,
      tool: "payments.transfer",
      requester: "dave",
      rule: "large-transfer",
    });
    const first = voteEvent(id, call.action_digest, "alice", "approve");
    await d.transport.publish(first);
    await handled(d, [first]);
    expect(eventsFor(d, "airlock.verdict.final", call.call_id)).toHaveLength(0);
    await d.transport.publish(voteEvent(id, call.action_digest, "carol", "approve"));
    const final = await onlyVerdict(d, call, id);
    expect(final).toMatchObject({
      allowed: true,
      outcome: "approved",
      decided_by: "approval",
      action_digest: call.action_digest,
    });
    const resolved = d.seen.find((e) => e.type === "airlock.approval.resolved" && e.subject === call.call_id);
    expect(resolved?.data).toMatchObject({
      outcome: "approved",
      tally: { approvals: ["alice", "carol"], rejections: [], quorum: 2 },
    });
  });

  it("rejects 2-of-3 at the second reject (quorum unreachable)", async () => {
    const call = escalation();
    const id = await open(d, call);
    const votes = [
      voteEvent(id, call.action_digest, "alice", "reject"),
      voteEvent(id, call.action_digest, "bob", "reject"),
    ];
    for (const vote of votes) await d.transport.publish(vote);
    const final = await onlyVerdict(d, call, id);
    expect(final).toMatchObject({ allowed: false, outcome: "rejected", decided_by: "approval" });
  });

  it("rejects on the first reject under veto", async () => {
    const call = escalation({ quorum: 1, veto: true });
    const id = await open(d, call);
    await d.transport.publish(voteEvent(id, call.action_digest, "bob", "reject"));
    const final = await onlyVerdict(d, call, id);
    expect(final).toMatchObject({ allowed: false, outcome: "rejected", reason: "vetoed by bob" });
  });

  it("refuses self-approval, non-members, forged signatures, other digests and second votes — and counts none", async () => {
    const call = escalation({ reviewers: ["alice", "bob", "carol", "dave"], quorum: 2 });
    const id = await open(d, call);
    const refused = [
      voteEvent(id, call.action_digest, "dave", "approve"), // the requester
      voteEvent(id, call.action_digest, "erin", "approve"), // registered, not in the pool
      voteEvent(id, call.action_digest, "bob", "approve", { signer: "erin" }), // forged
      voteEvent(id, "f".repeat(64), "carol", "approve"), // another action
    ];
    for (const vote of refused) await d.transport.publish(vote);
    await handled(d, refused);
    const alice = voteEvent(id, call.action_digest, "alice", "approve");
    await d.transport.publish(alice);
    await handled(d, [alice]);
    const again = voteEvent(id, call.action_digest, "alice", "approve"); // a second vote, new vote_id
    await d.transport.publish(again);
    await handled(d, [again]);

    expect((await refusals(d, id)).map((r) => `${r.reviewer}:${r.reason}`)).toEqual([
      "dave:self_approval",
      "erin:not_a_member",
      "bob:bad_signature",
      "carol:digest_mismatch",
      "alice:duplicate_vote",
    ]);
    // One approval counted, so the 2-of-3 request is still open.
    expect(eventsFor(d, "airlock.verdict.final", call.call_id)).toHaveLength(0);
    await settle(d, call, id);
    // As a set: the outbox relay publishes a batch concurrently, and not every broker keeps that order.
    const published = eventsFor(d, "airlock.vote.refused", call.call_id).map((e) => e.data.reason.split(":")[0]);
    expect(published.sort()).toEqual([
      "bad_signature",
      "digest_mismatch",
      "duplicate_vote",
      "not_a_member",
      "self_approval",
    ]);
  });

  it("refuses a vote after the resolution", async () => {
    const call = escalation({ quorum: 1 });
    const id = await open(d, call);
    await d.transport.publish(voteEvent(id, call.action_digest, "alice", "approve"));
    await verdict(d, call);
    const late = voteEvent(id, call.action_digest, "bob", "reject");
    await d.transport.publish(late);
    await handled(d, [late]);
    expect(await refusals(d, id)).toEqual([{ reviewer: "bob", reason: "already_resolved" }]);
    expect((await onlyVerdict(d, call, id)).allowed).toBe(true);
  });

  it("counts the same vote delivered twice once", async () => {
    const call = escalation();
    const id = await open(d, call);
    const vote = voteEvent(id, call.action_digest, "alice", "approve");
    // The same event twice (broker redelivery), and the same signed vote in a new event (a resubmission).
    const resubmitted = createEvent({
      type: "airlock.vote.cast",
      source: "reviewer/alice",
      subject: id,
      data: vote.data,
    });
    for (const event of [vote, vote, resubmitted]) await d.transport.publish(event);
    await handled(d, [vote, resubmitted]);
    const { rows } = await d.sql.query(`select reviewer from approvals.votes where request_id = $1`, [id]);
    expect(rows).toEqual([{ reviewer: "alice" }]);
    expect(await refusals(d, id)).toEqual([]);
    expect(eventsFor(d, "airlock.verdict.final", call.call_id)).toHaveLength(0);
    await d.transport.publish(voteEvent(id, call.action_digest, "bob", "approve"));
    expect(await onlyVerdict(d, call, id)).toMatchObject({ outcome: "approved" });
  });

  it("opens one request per call, whatever is redelivered", async () => {
    const call = escalation();
    const again = createEvent({
      type: "airlock.policy.decided",
      source: "airlock/policy",
      subject: call.call_id,
      data: call.event.data,
    });
    await d.transport.publish(call.event);
    await d.transport.publish(call.event);
    await d.transport.publish(again);
    await handled(d, [call.event, again]);
    const { rows } = await d.sql.query(`select id from approvals.requests where call_id = $1`, [call.call_id]);
    expect(rows).toHaveLength(1);
  });

  it("expires a request to its on_timeout (deny by default)", async () => {
    const call = escalation({ timeout_ms: 1000 });
    const id = await open(d, call);
    const final = await onlyVerdict(d, call, id);
    expect(final).toMatchObject({ allowed: false, outcome: "expired", decided_by: "timeout" });
    const allowing = escalation({ timeout_ms: 1000, on_timeout: "allow" });
    const other = await open(d, allowing);
    expect(await onlyVerdict(d, allowing, other)).toMatchObject({
      allowed: true,
      outcome: "expired",
      decided_by: "timeout",
    });
  });

  it("sends the verdict to the call's reply_to", async () => {
    const agent = `agent-${newId()
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 8)}`;
    const replyTo = replyTopic(agent, "inbox");
    const inbox: AirlockEvent[] = [];
    const subscription = await d.transport.subscribe({
      group: "agent",
      topics: [replyTo],
      handler: (event) => {
        inbox.push(event);
        return Promise.resolve();
      },
    });
    try {
      const call = escalation({ quorum: 1 }, { reply_to: replyTo, agent_id: agent });
      const id = await open(d, call);
      await d.transport.publish(voteEvent(id, call.action_digest, "carol", "approve"));
      await waitFor(() => inbox.length > 0, "the verdict on reply_to");
      expect(inbox[0]).toMatchObject({ type: "airlock.verdict.final", data: { call_id: call.call_id, allowed: true } });
      // The same event is also on airlock.verdicts, where the audit log reads it.
      await waitFor(
        () => eventsFor(d, "airlock.verdict.final", call.call_id).length > 0,
        "the copy on airlock.verdicts",
      );
      expect(eventsFor(d, "airlock.verdict.final", call.call_id).map((e) => e.id)).toEqual([inbox[0]!.id]);
    } finally {
      await subscription.close();
    }
  });

  it("rejects an impossible requirement at once, with the reason", async () => {
    const call = escalation({ reviewers: ["alice", "dave"], quorum: 2 });
    const id = await open(d, call);
    const final = await onlyVerdict(d, call, id);
    expect(final.outcome).toBe("rejected");
    expect(final.reason).toMatch(/impossible requirement: quorum 2 exceeds the 1 eligible reviewer/);
  });

  it("asks the requester to confirm first under confirm_by_requester", async () => {
    const call = escalation({ quorum: 1, confirm_by_requester: true });
    const id = await open(d, call);
    const early = voteEvent(id, call.action_digest, "alice", "approve");
    await d.transport.publish(early);
    await handled(d, [early]);
    const confirm = voteEvent(id, call.action_digest, "dave", "approve");
    await d.transport.publish(confirm);
    await handled(d, [confirm]);
    expect(eventsFor(d, "airlock.verdict.final", call.call_id)).toHaveLength(0);
    await d.transport.publish(voteEvent(id, call.action_digest, "alice", "approve"));
    expect(await onlyVerdict(d, call, id)).toMatchObject({ allowed: true, outcome: "approved" });
    expect(await refusals(d, id)).toEqual([{ reviewer: "alice", reason: "awaiting_confirmation" }]);
  });

  it("cancels a pending request when its agent cancels the call (verdict deny)", async () => {
    const call = escalation();
    const id = await open(d, call);
    const stranger = createEvent({
      type: "airlock.tool_call.cancelled",
      source: "agent/x",
      data: { call_id: call.call_id, agent_id: "someone-else" },
    });
    await d.transport.publish(stranger);
    await handled(d, [stranger]);
    expect(eventsFor(d, "airlock.verdict.final", call.call_id)).toHaveLength(0);
    await d.transport.publish(
      createEvent({
        type: "airlock.tool_call.cancelled",
        source: `agent/${call.agent_id}`,
        data: { call_id: call.call_id, agent_id: call.agent_id, reason: "user gave up" },
      }),
    );
    expect(await onlyVerdict(d, call, id)).toMatchObject({
      allowed: false,
      outcome: "cancelled",
      reason: "user gave up",
    });
  });

  it("refuses a vote for a request that does not exist", async () => {
    const requestId = newId();
    const vote = voteEvent(requestId, "a".repeat(64), "alice", "approve");
    await d.transport.publish(vote);
    await handled(d, [vote]);
    expect(await refusals(d, requestId)).toEqual([{ reviewer: "alice", reason: "not_found" }]);
  });
});
