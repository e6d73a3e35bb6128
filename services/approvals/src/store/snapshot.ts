import type { RequestSnapshot } from "../core/index.js";
import type { RequestRow } from "./requests.js";
import type { VoteRow } from "./votes.js";

/** The core's view of a stored request and its counted votes. */
export function toSnapshot(row: RequestRow, votes: readonly VoteRow[]): RequestSnapshot {
  return {
    state: row.state,
    requester: row.requester,
    requirement: row.requirement,
    action_digest: row.action_digest,
    expires_at_ms: row.expires_at.getTime(),
    votes: votes.map(({ vote_id, reviewer, verdict, role }) => ({ vote_id, reviewer, verdict, role })),
  };
}
