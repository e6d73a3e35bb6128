import { eligibleReviewers } from "./requirement.js";
import type { CountedVote, Requirement, Tally } from "./types.js";

/** Where the counted votes leave a request: still open, or decided and why. */
export type Standing = { state: "pending" } | { state: "approved" | "rejected"; reason: string };

/** The approvals and rejections of the pool votes so far. */
export function tallyOf(requirement: Requirement, votes: readonly CountedVote[]): Tally {
  const pool = votes.filter((vote) => vote.role === "pool");
  return {
    approvals: pool.filter((vote) => vote.verdict === "approve").map((vote) => vote.reviewer),
    rejections: pool.filter((vote) => vote.verdict === "reject").map((vote) => vote.reviewer),
    quorum: requirement.quorum,
  };
}

/**
 * Decide from the counted votes (each from a distinct eligible reviewer, as decideVote guarantees):
 * approved at M approvals; rejected when a reject makes M unreachable (rejects > N − M), on the first
 * reject under veto, or when the requester declines to confirm. Approvals and rejections of distinct
 * reviewers sum to at most N, so "approved" and "unreachable" can never hold together.
 */
export function standing(requirement: Requirement, requester: string | null, votes: readonly CountedVote[]): Standing {
  const declined = votes.find((vote) => vote.role === "confirm" && vote.verdict === "reject");
  if (declined) return { state: "rejected", reason: `the requester ${declined.reviewer} declined to confirm` };
  const { approvals, rejections, quorum } = tallyOf(requirement, votes);
  const eligible = eligibleReviewers(requirement, requester).length;
  if (approvals.length >= quorum) {
    return {
      state: "approved",
      reason: `approved by ${approvals.join(", ")} (${approvals.length} of ${quorum} needed)`,
    };
  }
  if (requirement.veto && rejections.length > 0) {
    return { state: "rejected", reason: `vetoed by ${rejections[0]!}` };
  }
  if (rejections.length > eligible - quorum) {
    return {
      state: "rejected",
      reason: `rejected by ${rejections.join(", ")}: ${quorum} approvals out of ${eligible} eligible reviewers can no longer be reached`,
    };
  }
  return { state: "pending" };
}
