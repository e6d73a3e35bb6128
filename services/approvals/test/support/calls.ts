import { expect } from "vitest";
import { actionDigest, createEvent, newId, signVote, type AirlockEvent, type EventData } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { keyOf, type Deployment } from "./deployment.js";

// What a test does to a deployment: publish decisions and signed votes as the policy and reviewer tools
// would, and wait — on conditions, never on time — for what the service does about them.

/** The approval part of a decision, with the tests' pool. */
export type Requirement = NonNullable<EventData<"airlock.policy.decided">["approval"]>;

/** An escalated call, as the policy would publish its decision. */
export interface Call {
  call_id: string;
  agent_id: string;
  action_digest: string;
  event: AirlockEvent<"airlock.policy.decided">;
}

/** A `policy.decided` escalating a transfer requested by dave, to 2 of alice, bob and carol unless overridden. */
export function escalation(
  requirement: Partial<Requirement> = {},
  call: { user?: string | null; reply_to?: string; agent_id?: string } = {},
): Call {
  const agent_id = call.agent_id ?? `agent-${newId().slice(0, 6)}`;
  const action = { agent_id, tool: "payments.transfer", args: { amount: 5000, to: "acct-42" } };
  const call_id = newId();
  const user = call.user === undefined ? "dave" : call.user;
  const event = createEvent({
    type: "airlock.policy.decided",
    source: "airlock/policy",
    subject: call_id,
    data: {
      ...action,
      call_id,
      run_id: "run-1",
      context: user === null ? { environment: "production" } : { user, environment: "production" },
      ...(call.reply_to ? { reply_to: call.reply_to } : {}),
      action_digest: actionDigest(action),
      action: "escalate",
      rule: "large-transfer",
      reason: "Transfers over 1000 need two finance admins",
      policy: { name: "finance", version: "0".repeat(64) },
      approval: {
        pool: "finance-admins",
        reviewers: ["alice", "bob", "carol"],
        quorum: 2,
        veto: false,
        confirm_by_requester: false,
        timeout_ms: 60_000,
        on_timeout: "deny",
        ...requirement,
      },
    },
  });
  return { call_id, agent_id, action_digest: event.data.action_digest, event };
}

/** A `vote.cast` signed by `person` (or by `signer`, to forge one). */
export function voteEvent(
  requestId: string,
  digest: string,
  person: string,
  verdict: "approve" | "reject",
  options: { signer?: string; vote_id?: string; comment?: string } = {},
): AirlockEvent<"airlock.vote.cast"> {
  const vote = signVote(
    {
      vote_id: options.vote_id ?? newId(),
      request_id: requestId,
      action_digest: digest,
      reviewer: person,
      verdict,
      ...(options.comment ? { comment: options.comment } : {}),
    },
    keyOf(options.signer ?? person),
  );
  return createEvent({ type: "airlock.vote.cast", source: `reviewer/${person}`, subject: requestId, data: vote });
}

/** Events of one type about one call (subject), as seen so far. */
export function eventsFor<T extends AirlockEvent["type"]>(
  d: Deployment,
  type: T,
  callId: string,
): Array<Extract<AirlockEvent, { type: T }>> {
  return d.seen.filter((e): e is Extract<AirlockEvent, { type: T }> => e.type === type && e.subject === callId);
}

/** Publish a decision and wait for its `approval.opened`; returns the request id. */
export async function open(d: Deployment, call: Call): Promise<string> {
  await d.transport.publish(call.event);
  await waitFor(
    () => eventsFor(d, "airlock.approval.opened", call.call_id).length > 0,
    `approval.opened for ${call.call_id}`,
  );
  return eventsFor(d, "airlock.approval.opened", call.call_id)[0]!.data.request_id;
}

/** Wait for the call's verdict and return it. */
export async function verdict(d: Deployment, call: Call): Promise<EventData<"airlock.verdict.final">> {
  await waitFor(
    () => eventsFor(d, "airlock.verdict.final", call.call_id).length > 0,
    `verdict.final for ${call.call_id}`,
  );
  return eventsFor(d, "airlock.verdict.final", call.call_id)[0]!.data;
}

/** Wait until the service has handled these events (their ids are in processed_events). */
export async function handled(d: Deployment, events: ReadonlyArray<{ id: string }>): Promise<void> {
  const ids = [...new Set(events.map((e) => e.id))];
  await waitFor(async () => {
    const { rows } = await d.sql.query<{ n: number }>(
      `select count(*)::int as n from approvals.processed_events where event_id = any($1::text[])`,
      [ids],
    );
    return rows[0]!.n === ids.length;
  }, `the service to handle ${ids.length} event(s)`);
}

/**
 * Wait until everything the service committed has reached the observer: the outbox is empty, then a
 * sentinel published with the same keys (agent_id for verdicts, request_id for approval events) has
 * arrived — each broker keeps one key's order, so whatever was published before it has arrived too.
 */
export async function settle(d: Deployment, call: Call, requestId: string): Promise<void> {
  await waitFor(async () => {
    const { rows } = await d.sql.query<{ n: number }>(`select count(*)::int as n from approvals.outbox`);
    return rows[0]!.n === 0;
  }, "the outbox to drain");
  const marker = `sentinel-${newId()}`;
  await d.transport.publish(
    createEvent({
      type: "airlock.verdict.final",
      source: "test",
      subject: marker,
      data: {
        call_id: marker,
        agent_id: call.agent_id,
        action_digest: call.action_digest,
        allowed: false,
        outcome: "cancelled",
        reason: "sentinel",
        decided_by: "policy",
      },
    }),
  );
  await d.transport.publish(
    createEvent({
      type: "airlock.approval.resolved",
      source: "test",
      subject: marker,
      data: {
        request_id: requestId,
        call_id: marker,
        outcome: "cancelled",
        tally: { approvals: [], rejections: [], quorum: 1 },
        resolved_at: new Date().toISOString(),
      },
    }),
  );
  await waitFor(() => d.seen.filter((e) => e.subject === marker).length === 2, "the sentinels");
}

/** The refusals recorded for a request, by reason. */
export async function refusals(d: Deployment, requestId: string): Promise<Array<{ reviewer: string; reason: string }>> {
  const { rows } = await d.sql.query<{ reviewer: string; reason: string }>(
    `select reviewer, reason from approvals.refusals where request_id = $1 order by id`,
    [requestId],
  );
  return rows;
}

/** Assert the call got exactly one verdict and its request exactly one resolution, and return them. */
export async function onlyVerdict(
  d: Deployment,
  call: Call,
  requestId: string,
): Promise<EventData<"airlock.verdict.final">> {
  await verdict(d, call);
  await settle(d, call, requestId);
  const verdicts = eventsFor(d, "airlock.verdict.final", call.call_id);
  expect(verdicts).toHaveLength(1);
  const resolutions = d.seen.filter(
    (e) => e.type === "airlock.approval.resolved" && e.data.request_id === requestId && e.subject === call.call_id,
  );
  expect(resolutions).toHaveLength(1);
  return verdicts[0]!.data;
}
