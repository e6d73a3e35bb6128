import { outboxRows, type OutboxRow, type PreparedOutgoing, type Queryable } from "@airlock/shared";
import type { Decision } from "../core/decide.js";
import type { ToolCall } from "../core/types.js";

/** The service's Postgres schema: its tables, migrations ledger and outbox live here. */
export const SCHEMA = "policy";

/**
 * Count the call a `claimed` CTE returned for its run: an atomic upsert returning the run's count, this
 * call included, or no row when nothing was claimed. Both claiming statements below use it, so the two
 * paths count a run the same way.
 */
const COUNT_CLAIMED_CALL = `insert into policy.run_counters as c (run_id, calls)
     select run_id, 1 from claimed
     on conflict (run_id) do update set calls = c.calls + 1, last_call_at = now()
     returning c.calls`;

/**
 * Claim a call for deciding and count it for its run, inside the deciding transaction, in one statement.
 * Returns the run's call count, this call included, or undefined when the call was decided already (a
 * redelivery): then nothing else may happen. A second instance deciding the same call at the same moment
 * waits on the primary key until the first commits, and then gets undefined. The count is an atomic
 * upsert: the row lock orders instances counting the same run, so each gets a distinct count.
 */
export async function claimAndCountCall(tx: Queryable, call: ToolCall, eventId: string): Promise<number | undefined> {
  const { rows } = await tx.query<{ calls: string | number }>(
    `with claimed as (
       insert into policy.decisions (call_id, event_id, run_id, agent_id)
       values ($1, $2, $3, $4)
       on conflict (call_id) do nothing
       returning run_id
     )
     ${COUNT_CLAIMED_CALL}`,
    [call.call_id, eventId, call.run_id, call.agent_id],
  );
  const calls = rows[0]?.calls;
  return calls === undefined ? undefined : Number(calls);
}

/**
 * Claim, count, record and enqueue a call's decision in ONE statement (so one round trip, atomic on its
 * own), for a decision that does not depend on the run's count — the policy has no max_tool_calls.
 * Returns the outbox rows, or undefined when the call was decided already (a redelivery, or another
 * instance deciding it at the same moment: it waits on the primary key, then finds the row): then
 * nothing was counted or enqueued. `run_calls` stays null: no count decided this call.
 */
export async function recordDecidedCall(
  db: Queryable,
  call: ToolCall,
  record: { eventId: string; decision: Decision; decidedEventId: string; data: unknown; outgoing: PreparedOutgoing },
): Promise<OutboxRow[] | undefined> {
  const { decision, outgoing } = record;
  const { rows } = await db.query<{ claimed: boolean; ids: Array<number | string> }>(
    `with claimed as (
       insert into policy.decisions
         (call_id, event_id, run_id, agent_id, action, rule, policy_name, policy_version, decided_event_id, decision)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
       on conflict (call_id) do nothing
       returning run_id
     ), counted as (
       ${COUNT_CLAIMED_CALL}
     ), queued as (
       insert into policy.outbox (topic, key, event)
       select * from unnest($11::text[], $12::text[], $13::jsonb[])
        where exists (select 1 from claimed)
       returning id
     )
     select exists (select 1 from counted) as claimed, array(select id from queued) as ids`,
    [
      call.call_id,
      record.eventId,
      call.run_id,
      call.agent_id,
      decision.action,
      decision.rule,
      decision.policy.name,
      decision.policy.version,
      record.decidedEventId,
      JSON.stringify(record.data),
      outgoing.topics,
      outgoing.keys,
      outgoing.bodies,
    ],
  );
  const row = rows[0];
  if (row === undefined || !row.claimed) return undefined;
  return outboxRows(outgoing, row.ids);
}

/** Who claimed a call: the event that asked, and its agent. */
export interface CallClaim {
  event_id: string;
  agent_id: string;
}

/**
 * The claim on a call id, or undefined when nobody claimed it. Read after a claiming statement found the
 * id taken, in a statement of its own: a claim committed by another instance while that statement waited
 * is visible here, where the statement's own snapshot could not show it.
 */
export async function findClaim(db: Queryable, callId: string): Promise<CallClaim | undefined> {
  const { rows } = await db.query<CallClaim>(`select event_id, agent_id from policy.decisions where call_id = $1`, [
    callId,
  ]);
  return rows[0];
}

/** Fill in the decision of a claimed call. */
export async function recordDecision(
  tx: Queryable,
  callId: string,
  record: { decision: Decision; runCalls: number; decidedEventId: string; data: unknown },
): Promise<void> {
  const { decision } = record;
  await tx.query(
    `update policy.decisions
        set action = $2, rule = $3, policy_name = $4, policy_version = $5, run_calls = $6,
            decided_event_id = $7, decision = $8::jsonb
      where call_id = $1`,
    [
      callId,
      decision.action,
      decision.rule,
      decision.policy.name,
      decision.policy.version,
      record.runCalls,
      record.decidedEventId,
      JSON.stringify(record.data),
    ],
  );
}

/** A decided call, as stored. */
export interface StoredDecision {
  call_id: string;
  event_id: string;
  run_id: string;
  agent_id: string;
  action: Decision["action"];
  rule: string | null;
  policy_name: string;
  policy_version: string;
  /** The run's count that decided the call; null when no count did (a policy without max_tool_calls). */
  run_calls: number | null;
  decided_event_id: string;
  /** The data of the `airlock.policy.decided` it caused. */
  decision: Record<string, unknown>;
  decided_at: Date;
}

/** The decision of one call, or undefined when it has not been decided. */
export async function findDecision(db: Queryable, callId: string): Promise<StoredDecision | undefined> {
  const { rows } = await db.query<Omit<StoredDecision, "run_calls"> & { run_calls: string | number | null }>(
    `select call_id, event_id, run_id, agent_id, action, rule, policy_name, policy_version, run_calls,
            decided_event_id, decision, decided_at
       from policy.decisions where call_id = $1`,
    [callId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  // Keep a stored NULL as null: Number(null) would claim a count of 0 that never decided the call.
  return { ...row, run_calls: row.run_calls === null ? null : Number(row.run_calls) };
}

/** How many calls a run has made so far (0 for a run never seen). */
export async function runCalls(db: Queryable, runId: string): Promise<number> {
  const { rows } = await db.query<{ calls: string | number }>(
    `select calls from policy.run_counters where run_id = $1`,
    [runId],
  );
  return rows[0] === undefined ? 0 : Number(rows[0].calls);
}
