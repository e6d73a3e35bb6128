import { AirlockError, type EventData, type Queryable } from "@airlock/shared";
import type { Outcome, RequestState, Resolution } from "../core/index.js";

/** The requirement as `policy.decided` carries it and the requests table stores it. */
export type StoredRequirement = NonNullable<EventData<"airlock.policy.decided">["approval"]>;

/** One row of approvals.requests. */
export interface RequestRow {
  id: string;
  call_id: string;
  agent_id: string;
  run_id: string;
  tool: string;
  args: Record<string, unknown>;
  action_digest: string;
  requester: string | null;
  rule: string | null;
  reason: string;
  policy: { name: string; version: string };
  requirement: StoredRequirement;
  reply_to: string | null;
  state: RequestState;
  decided_at: Date;
  opened_at: Date;
  expires_at: Date;
  resolved_at: Date | null;
  resolution_reason: string | null;
  allowed: boolean | null;
  decided_by: Resolution["decided_by"] | null;
}

/** A request to insert: a pending row, before any resolution. */
export type NewRequest = Omit<RequestRow, "state" | "resolved_at" | "resolution_reason" | "allowed" | "decided_by">;

const COLUMNS = `id, call_id, agent_id, run_id, tool, args, action_digest, requester, rule, reason, policy, requirement,
  reply_to, state, decided_at, opened_at, expires_at, resolved_at, resolution_reason, allowed, decided_by`;

/** Insert a pending request; false when the call already has one (a repeated decision opens nothing). */
export async function insertRequest(tx: Queryable, request: NewRequest): Promise<boolean> {
  const { rows } = await tx.query(
    `insert into approvals.requests (id, call_id, agent_id, run_id, tool, args, action_digest, requester, rule, reason,
       policy, requirement, reply_to, decided_at, opened_at, expires_at)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16)
     on conflict (call_id) do nothing
     returning id`,
    [
      request.id,
      request.call_id,
      request.agent_id,
      request.run_id,
      request.tool,
      JSON.stringify(request.args),
      request.action_digest,
      request.requester,
      request.rule,
      request.reason,
      JSON.stringify(request.policy),
      JSON.stringify(request.requirement),
      request.reply_to,
      request.decided_at.toISOString(),
      request.opened_at.toISOString(),
      request.expires_at.toISOString(),
    ],
  );
  return rows.length === 1;
}

/**
 * Read a request and lock its row until the transaction ends: every decision about one request — a
 * vote on either of two instances, the sweeper, a cancellation — runs one after the other, each seeing
 * what the previous one committed.
 */
export async function lockRequest(tx: Queryable, id: string): Promise<RequestRow | undefined> {
  const { rows } = await tx.query<RequestRow>(`select ${COLUMNS} from approvals.requests where id = $1 for update`, [
    id,
  ]);
  return rows[0];
}

/** {@link lockRequest}, by the call it belongs to. */
export async function lockRequestByCall(tx: Queryable, callId: string): Promise<RequestRow | undefined> {
  const { rows } = await tx.query<RequestRow>(
    `select ${COLUMNS} from approvals.requests where call_id = $1 for update`,
    [callId],
  );
  return rows[0];
}

/**
 * Lock up to `limit` pending requests whose time is up, oldest first. SKIP LOCKED: a row another sweeper
 * (or a vote) holds is left to it, so instances sweeping together neither wait for nor repeat each other.
 */
export async function claimExpired(tx: Queryable, now: Date, limit: number): Promise<RequestRow[]> {
  const { rows } = await tx.query<RequestRow>(
    `select ${COLUMNS} from approvals.requests
     where state = 'pending' and expires_at <= $1
     order by expires_at
     limit $2
     for update skip locked`,
    [now.toISOString(), limit],
  );
  return rows;
}

/**
 * Record a request's end. Guarded by `state = 'pending'`: under the row lock it always holds, and if a
 * caller ever forgot the lock the guard turns a second resolution into an error instead of a second verdict.
 */
export async function resolveRequest(tx: Queryable, id: string, resolution: Resolution, at: Date): Promise<void> {
  const { rows } = await tx.query(
    `update approvals.requests
     set state = $2, resolved_at = $3, resolution_reason = $4, allowed = $5, decided_by = $6
     where id = $1 and state = 'pending'
     returning id`,
    [
      id,
      resolution.outcome satisfies Outcome,
      at.toISOString(),
      resolution.reason,
      resolution.allowed,
      resolution.decided_by,
    ],
  );
  if (rows.length !== 1) {
    throw new AirlockError(`approval request ${id} is not pending: refusing to resolve it twice`, {
      code: "already_resolved",
      retriable: false,
    });
  }
}

/** One request, unlocked (read API). */
export async function getRequest(q: Queryable, id: string): Promise<RequestRow | undefined> {
  const { rows } = await q.query<RequestRow>(`select ${COLUMNS} from approvals.requests where id = $1`, [id]);
  return rows[0];
}

/** The newest requests, optionally only those in one state (read API). */
export async function listRequests(
  q: Queryable,
  options: { state?: RequestState; limit: number; before?: { opened_at: Date; id: string } },
): Promise<RequestRow[]> {
  // Keyset pagination, newest first: the page after `before` starts below it in (opened_at desc, id).
  const { rows } = await q.query<RequestRow>(
    `select ${COLUMNS} from approvals.requests
     where ($1::text is null or state = $1)
       and ($3::timestamptz is null or opened_at < $3 or (opened_at = $3 and id > $4))
     order by opened_at desc, id
     limit $2`,
    [options.state ?? null, options.limit, options.before?.opened_at.toISOString() ?? null, options.before?.id ?? ""],
  );
  return rows;
}

/** How many requests are pending (the approvals_open gauge). */
export async function countPending(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int as n from approvals.requests where state = 'pending'`,
  );
  return rows[0]?.n ?? 0;
}
