import type { Queryable } from "@airlock/shared";
import type { Decision } from "../core/decide.js";
import type { ToolCall } from "../core/types.js";

/** The service's Postgres schema: its tables, migrations ledger and outbox live here. */
export const SCHEMA = "policy";

/**
 * Claim a call for deciding, inside the deciding transaction. False when it was decided already (a
 * redelivery): then nothing else may happen. A second instance deciding the same call at the same
 * moment waits here on the primary key until the first commits, and then gets false.
 */
export async function claimCall(tx: Queryable, call: ToolCall, eventId: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `insert into policy.decisions (call_id, event_id, run_id, agent_id)
     values ($1, $2, $3, $4)
     on conflict (call_id) do nothing`,
    [call.call_id, eventId, call.run_id, call.agent_id],
  );
  return rowCount === 1;
}

/**
 * Count one more call of a run and return the run's count, this call included. One atomic upsert: the
 * row lock orders instances counting the same run, so each gets a distinct count.
 */
export async function countRunCall(tx: Queryable, runId: string): Promise<number> {
  const { rows } = await tx.query<{ calls: string | number }>(
    `insert into policy.run_counters as c (run_id, calls) values ($1, 1)
     on conflict (run_id) do update set calls = c.calls + 1, last_call_at = now()
     returning c.calls`,
    [runId],
  );
  const calls = rows[0]?.calls;
  if (calls === undefined) throw new Error(`counting a call of run ${runId} returned no row`);
  return Number(calls);
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
  run_calls: number;
  decided_event_id: string;
  /** The data of the `airlock.policy.decided` it caused. */
  decision: Record<string, unknown>;
  decided_at: Date;
}

/** The decision of one call, or undefined when it has not been decided (what GET /v1/tool-calls/:id reads). */
export async function findDecision(db: Queryable, callId: string): Promise<StoredDecision | undefined> {
  const { rows } = await db.query<StoredDecision & { run_calls: string | number }>(
    `select call_id, event_id, run_id, agent_id, action, rule, policy_name, policy_version, run_calls,
            decided_event_id, decision, decided_at
       from policy.decisions where call_id = $1`,
    [callId],
  );
  const row = rows[0];
  return row === undefined ? undefined : { ...row, run_calls: Number(row.run_calls) };
}

/** How many calls a run has made so far (0 for a run never seen). */
export async function runCalls(db: Queryable, runId: string): Promise<number> {
  const { rows } = await db.query<{ calls: string | number }>(
    `select calls from policy.run_counters where run_id = $1`,
    [runId],
  );
  return rows[0] === undefined ? 0 : Number(rows[0].calls);
}
