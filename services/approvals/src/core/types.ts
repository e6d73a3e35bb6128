// The vocabulary of the approvals core. Times are epoch milliseconds, passed in: the core reads no clock.

/** Where a request stands. Every state but `pending` is final. */
export type RequestState = "pending" | "approved" | "rejected" | "expired" | "cancelled";

/** How a request ended. */
export type Outcome = Exclude<RequestState, "pending">;

/** A reviewer's answer. */
export type Verdict = "approve" | "reject";

/** What the core needs of a call's approval requirement (the `approval` of `policy.decided`). */
export interface Requirement {
  /** The pool's members, resolved by the policy. */
  reviewers: readonly string[];
  /** M: approvals needed. */
  quorum: number;
  /** A single reject denies. */
  veto: boolean;
  /** The requester confirms first; only then do pool votes count. */
  confirm_by_requester: boolean;
  on_timeout: "deny" | "allow";
}

/**
 * A vote that counted. `confirm` is the requester's confirmation under `confirm_by_requester`; `pool`
 * is a pool member's vote towards the quorum.
 */
export interface CountedVote {
  vote_id: string;
  reviewer: string;
  verdict: Verdict;
  role: "confirm" | "pool";
}

/** A request as the core sees it: read under a row lock, so no other decision interleaves. */
export interface RequestSnapshot {
  state: RequestState;
  /** `context.user` of the call; null when the call names none. */
  requester: string | null;
  requirement: Requirement;
  action_digest: string;
  expires_at_ms: number;
  /** The votes that counted, in the order they were counted. */
  votes: readonly CountedVote[];
}

/** The votes so far, as `approval.resolved` reports them. */
export interface Tally {
  approvals: string[];
  rejections: string[];
  quorum: number;
}

/** Who decided, as `verdict.final` names it. */
export type DecidedBy = "approval" | "timeout";

/** A request's end: its outcome, the verdict the call gets, and why. */
export interface Resolution {
  outcome: Outcome;
  allowed: boolean;
  reason: string;
  decided_by: DecidedBy;
  tally: Tally;
}

/** Why a vote changed nothing (DESIGN.md, "Approval rules"). */
export type RefusalReason =
  | "not_found"
  | "unknown_reviewer"
  | "bad_signature"
  | "digest_mismatch"
  | "already_resolved"
  | "duplicate_vote"
  | "self_approval"
  | "not_a_member"
  | "awaiting_confirmation";

/** Whether a vote's signature is its reviewer's (checked outside the core: it needs node:crypto). */
export type Authenticity = "valid" | "unknown_reviewer" | "bad_signature";
