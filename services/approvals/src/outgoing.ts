import { createEvent, type AirlockEvent, type EventData } from "@airlock/shared";
import type { RefusalReason, Resolution } from "./core/index.js";
import type { RequestRow } from "./store/index.js";

/** The `source` of every event this service publishes. */
export const SOURCE = "airlock/approvals";

/** `approval.opened`: what a reviewer needs to decide. */
export function openedEvent(request: RequestRow, at: Date): AirlockEvent<"airlock.approval.opened"> {
  return createEvent({
    type: "airlock.approval.opened",
    source: SOURCE,
    subject: request.call_id,
    time: at,
    data: {
      request_id: request.id,
      call_id: request.call_id,
      agent_id: request.agent_id,
      tool: request.tool,
      args: request.args,
      action_digest: request.action_digest,
      requester: request.requester,
      rule: request.rule,
      reason: request.reason,
      requirement: request.requirement,
      expires_at: request.expires_at.toISOString(),
    },
  });
}

/** `approval.resolved`: how the request ended, with its tally. */
export function resolvedEvent(
  request: RequestRow,
  resolution: Resolution,
  at: Date,
): AirlockEvent<"airlock.approval.resolved"> {
  return createEvent({
    type: "airlock.approval.resolved",
    source: SOURCE,
    subject: request.call_id,
    time: at,
    data: {
      request_id: request.id,
      call_id: request.call_id,
      outcome: resolution.outcome,
      tally: resolution.tally,
      resolved_at: at.toISOString(),
    },
  });
}

/** `verdict.final`: the call's one answer. */
export function verdictEvent(
  request: RequestRow,
  resolution: Resolution,
  at: Date,
): AirlockEvent<"airlock.verdict.final"> {
  return createEvent({
    type: "airlock.verdict.final",
    source: SOURCE,
    subject: request.call_id,
    time: at,
    data: {
      call_id: request.call_id,
      agent_id: request.agent_id,
      action_digest: request.action_digest,
      allowed: resolution.allowed,
      outcome: resolution.outcome,
      reason: resolution.reason,
      decided_by: resolution.decided_by,
    },
  });
}

/** `vote.refused`: a vote that changed nothing, and why. */
export function refusedEvent(
  vote: EventData<"airlock.vote.cast">,
  refusal: { reason: RefusalReason; detail: string; call_id?: string },
  at: Date,
): AirlockEvent<"airlock.vote.refused"> {
  return createEvent({
    type: "airlock.vote.refused",
    source: SOURCE,
    subject: refusal.call_id ?? vote.request_id,
    time: at,
    data: {
      vote_id: vote.vote_id,
      request_id: vote.request_id,
      reviewer: vote.reviewer,
      reason: `${refusal.reason}: ${refusal.detail}`,
    },
  });
}
