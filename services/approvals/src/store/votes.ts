import type { Queryable } from "@airlock/shared";
import type { CountedVote, RefusalReason, Verdict } from "../core/index.js";

/** A counted vote as stored, with what reviewers and auditors see of it. */
export interface VoteRow extends CountedVote {
  request_id: string;
  comment: string | null;
  signature: string;
  event_id: string;
  cast_at: Date;
}

/** A refused vote as stored. */
export interface RefusalRow {
  request_id: string;
  vote_id: string;
  reviewer: string;
  verdict: Verdict;
  reason: RefusalReason;
  detail: string;
  event_id: string;
  refused_at: Date;
}

/** The counted votes of a request, in the order they counted. */
export async function votesOf(q: Queryable, requestId: string): Promise<VoteRow[]> {
  const { rows } = await q.query<VoteRow>(
    `select request_id, reviewer, vote_id, verdict, role, comment, signature, event_id, cast_at
     from approvals.votes where request_id = $1 order by seq`,
    [requestId],
  );
  return rows;
}

/** Store a counted vote. The primary key (request_id, reviewer) backs the core's one-vote-per-reviewer rule. */
export async function insertVote(tx: Queryable, vote: VoteRow): Promise<void> {
  await tx.query(
    `insert into approvals.votes (request_id, reviewer, vote_id, verdict, role, comment, signature, event_id, cast_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      vote.request_id,
      vote.reviewer,
      vote.vote_id,
      vote.verdict,
      vote.role,
      vote.comment,
      vote.signature,
      vote.event_id,
      vote.cast_at.toISOString(),
    ],
  );
}

/** Record a refused vote and its reason. */
export async function insertRefusal(tx: Queryable, refusal: RefusalRow): Promise<void> {
  await tx.query(
    `insert into approvals.refusals (request_id, vote_id, reviewer, verdict, reason, detail, event_id, refused_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      refusal.request_id,
      refusal.vote_id,
      refusal.reviewer,
      refusal.verdict,
      refusal.reason,
      refusal.detail,
      refusal.event_id,
      refusal.refused_at.toISOString(),
    ],
  );
}

/** A page of refused votes: the rows, how many there are in all, and the `after` of the next page (null: the last). */
export interface RefusalPage {
  rows: RefusalRow[];
  total: number;
  next_after: number | null;
}

/** A page of a request's refused votes, oldest first, after the refusal numbered `after`. */
export async function refusalsOf(
  q: Queryable,
  requestId: string,
  page: { after?: number; limit: number },
): Promise<RefusalPage> {
  // Anyone can make a request's refusals grow (a vote from nobody is refused and recorded), so they are
  // read a page at a time, never all at once. One row more than the page says whether another follows.
  const [{ rows }, { rows: counted }] = await Promise.all([
    q.query<RefusalRow & { id: number }>(
      `select id::int as id, request_id, vote_id, reviewer, verdict, reason, detail, event_id, refused_at
       from approvals.refusals where request_id = $1 and id > $2 order by id limit $3`,
      [requestId, page.after ?? 0, page.limit + 1],
    ),
    q.query<{ total: number }>(`select count(*)::int as total from approvals.refusals where request_id = $1`, [
      requestId,
    ]),
  ]);
  const more = rows.length > page.limit;
  const shown = rows.slice(0, page.limit);
  return { rows: shown, total: counted[0]!.total, next_after: more ? shown.at(-1)!.id : null };
}

/** The counted votes of several requests (a listing), in the order they counted. */
export async function votesOfMany(q: Queryable, requestIds: readonly string[]): Promise<VoteRow[]> {
  if (requestIds.length === 0) return [];
  const { rows } = await q.query<VoteRow>(
    `select request_id, reviewer, vote_id, verdict, role, comment, signature, event_id, cast_at
     from approvals.votes where request_id = any($1::text[]) order by seq`,
    [requestIds],
  );
  return rows;
}
