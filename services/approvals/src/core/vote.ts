import { sameId } from "@airlock/shared";
import { expire } from "./lifecycle.js";
import { standing, tallyOf } from "./tally.js";
import type { Authenticity, CountedVote, RefusalReason, RequestSnapshot, Resolution, Verdict } from "./types.js";

/** What the core needs of a vote; its signature was checked outside (see {@link Authenticity}). */
export interface VoteInput {
  vote_id: string;
  reviewer: string;
  verdict: Verdict;
  action_digest: string;
}

/**
 * What a vote does:
 * - `redelivered`: this very vote (same reviewer, same vote_id) already counted — nothing changes, nothing is said;
 * - `refused`: it changes nothing but the record of refusals; `resolution` is set when the request's time
 *   ran out before the vote arrived (the vote ends it, as the sweeper would have);
 * - `counted`: it is stored; `resolution` is set when it decided the request.
 */
export type VoteDecision =
  | { kind: "redelivered" }
  | { kind: "refused"; reason: RefusalReason; detail: string; resolution?: Resolution }
  | { kind: "counted"; vote: CountedVote; resolution?: Resolution };

/**
 * Decide one vote against a request read under its row lock (undefined when there is no such request).
 * The checks run in this order, so each refusal names the first thing wrong:
 * authenticity → redelivery → digest → still pending (and not expired) → one vote per reviewer →
 * the requester (confirmation or self-approval) → pool membership → confirmation first → count.
 */
export function decideVote(
  request: RequestSnapshot | undefined,
  vote: VoteInput,
  authenticity: Authenticity,
  now_ms: number,
): VoteDecision {
  if (request === undefined) return refused("not_found", "no approval request has this id");
  if (authenticity === "unknown_reviewer")
    return refused("unknown_reviewer", `${vote.reviewer} has no registered public key`);
  if (authenticity === "bad_signature")
    return refused("bad_signature", `the signature is not ${vote.reviewer}'s over this vote`);

  // Reviewer ids compare in one canonical form: "Alice" and "alice " are one reviewer, and the requester.
  const previous = request.votes.find((counted) => sameId(counted.reviewer, vote.reviewer));
  if (previous?.vote_id === vote.vote_id) return { kind: "redelivered" };

  if (vote.action_digest !== request.action_digest) {
    return refused(
      "digest_mismatch",
      `the vote is for action ${vote.action_digest}, the request for ${request.action_digest}`,
    );
  }
  if (request.state !== "pending") return refused("already_resolved", `the request is already ${request.state}`);
  const expired = expire(request, now_ms);
  if (expired)
    return { ...refused("already_resolved", "the request expired before the vote arrived"), resolution: expired };

  if (previous) return refused("duplicate_vote", `${vote.reviewer} already voted ${previous.verdict} on this request`);

  const { requirement, requester } = request;
  const confirmed = request.votes.some((counted) => counted.role === "confirm");
  if (sameId(vote.reviewer, requester)) {
    if (requirement.confirm_by_requester && !confirmed) return count(request, { ...pick(vote), role: "confirm" });
    return refused("self_approval", `${vote.reviewer} requested this call and cannot vote on it`);
  }
  if (!requirement.reviewers.some((reviewer) => sameId(reviewer, vote.reviewer))) {
    return refused("not_a_member", `${vote.reviewer} is not one of the request's reviewers`);
  }
  if (requirement.confirm_by_requester && !confirmed) {
    return refused(
      "awaiting_confirmation",
      `the requester ${requester ?? "(none)"} has not confirmed yet; vote again after`,
    );
  }
  return count(request, { ...pick(vote), role: "pool" });
}

function count(request: RequestSnapshot, vote: CountedVote): VoteDecision {
  const votes = [...request.votes, vote];
  const now = standing(request.requirement, request.requester, votes);
  if (now.state === "pending") return { kind: "counted", vote };
  const resolution: Resolution = {
    outcome: now.state,
    allowed: now.state === "approved",
    reason: now.reason,
    decided_by: "approval",
    tally: tallyOf(request.requirement, votes),
  };
  return { kind: "counted", vote, resolution };
}

function pick(vote: VoteInput): Omit<CountedVote, "role"> {
  return { vote_id: vote.vote_id, reviewer: vote.reviewer, verdict: vote.verdict };
}

function refused(reason: RefusalReason, detail: string): VoteDecision & { kind: "refused" } {
  return { kind: "refused", reason, detail };
}
