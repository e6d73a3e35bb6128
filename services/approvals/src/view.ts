import type { RefusalPage, RefusalRow, RequestRow, VoteRow } from "./store/index.js";

/** A request as the read API shows it: what a reviewer needs to decide, and where the vote stands. */
export interface ApprovalView {
  id: string;
  call_id: string;
  state: RequestRow["state"];
  agent: string;
  run_id: string;
  tool: string;
  args: Record<string, unknown>;
  action_digest: string;
  requester: string | null;
  rule: string | null;
  reason: string;
  policy: RequestRow["policy"];
  requirement: RequestRow["requirement"];
  opened_at: string;
  expires_at: string;
  /** Milliseconds until the request expires; null once it is resolved. */
  time_left_ms: number | null;
  /** Counted votes, in order. */
  votes: Array<{
    vote_id: string;
    reviewer: string;
    verdict: string;
    role: string;
    comment: string | null;
    cast_at: string;
  }>;
  tally: { approvals: number; rejections: number; quorum: number };
  resolution: { outcome: string; allowed: boolean; reason: string; decided_by: string; resolved_at: string } | null;
}

/** {@link ApprovalView} plus the refused votes (GET /v1/approvals/:id). */
export interface ApprovalDetail extends ApprovalView {
  /** How many votes were refused in all; `refusals` holds the first page of them. */
  refusals_total: number;
  /** The `after` of the next page (GET /v1/approvals/:id/refusals), or null when `refusals` is all. */
  refusals_next_after: number | null;
  refusals: Array<{
    vote_id: string;
    reviewer: string;
    verdict: string;
    reason: string;
    detail: string;
    refused_at: string;
  }>;
}

/** The view of a request and its counted votes at `now`. */
export function approvalView(request: RequestRow, votes: readonly VoteRow[], now: Date): ApprovalView {
  const pool = votes.filter((vote) => vote.role === "pool");
  return {
    id: request.id,
    call_id: request.call_id,
    state: request.state,
    agent: request.agent_id,
    run_id: request.run_id,
    tool: request.tool,
    args: request.args,
    action_digest: request.action_digest,
    requester: request.requester,
    rule: request.rule,
    reason: request.reason,
    policy: request.policy,
    requirement: request.requirement,
    opened_at: request.opened_at.toISOString(),
    expires_at: request.expires_at.toISOString(),
    time_left_ms: request.state === "pending" ? Math.max(0, request.expires_at.getTime() - now.getTime()) : null,
    votes: votes.map((vote) => ({
      vote_id: vote.vote_id,
      reviewer: vote.reviewer,
      verdict: vote.verdict,
      role: vote.role,
      comment: vote.comment,
      cast_at: vote.cast_at.toISOString(),
    })),
    tally: {
      approvals: pool.filter((vote) => vote.verdict === "approve").length,
      rejections: pool.filter((vote) => vote.verdict === "reject").length,
      quorum: request.requirement.quorum,
    },
    resolution:
      request.state === "pending" || request.resolved_at === null
        ? null
        : {
            outcome: request.state,
            allowed: request.allowed ?? false,
            reason: request.resolution_reason ?? "",
            decided_by: request.decided_by ?? "approval",
            resolved_at: request.resolved_at.toISOString(),
          },
  };
}

/** The detail view: the request, its counted votes and its refused ones. */
export function approvalDetail(
  request: RequestRow,
  votes: readonly VoteRow[],
  refusals: RefusalPage,
  now: Date,
): ApprovalDetail {
  return {
    ...approvalView(request, votes, now),
    refusals_total: refusals.total,
    refusals_next_after: refusals.next_after,
    refusals: refusals.rows.map(refusalView),
  };
}

/** One refused vote as the API shows it. */
export function refusalView(refusal: RefusalRow): ApprovalDetail["refusals"][number] {
  return {
    vote_id: refusal.vote_id,
    reviewer: refusal.reviewer,
    verdict: refusal.verdict,
    reason: refusal.reason,
    detail: refusal.detail,
    refused_at: refusal.refused_at.toISOString(),
  };
}
