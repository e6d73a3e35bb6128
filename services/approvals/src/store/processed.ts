import type { Queryable } from "@airlock/shared";

/**
 * Claim an event for this transaction: true the first time its id is seen, false when it was handled
 * before. Inside the handler's transaction, so the claim commits with the effects or not at all; a
 * second delivery racing the first waits on the primary key and then sees it taken.
 */
export async function claimEvent(tx: Queryable, eventId: string, type: string): Promise<boolean> {
  const { rows } = await tx.query(
    `insert into approvals.processed_events (event_id, type) values ($1, $2) on conflict (event_id) do nothing returning event_id`,
    [eventId, type],
  );
  return rows.length === 1;
}

/** Remember that the agent cancelled a call, for a request that may not exist yet. */
export async function recordCancellation(
  tx: Queryable,
  cancellation: { call_id: string; agent_id: string; reason: string | null; at: Date },
): Promise<void> {
  await tx.query(
    `insert into approvals.cancellations (call_id, agent_id, reason, cancelled_at) values ($1, $2, $3, $4)
     on conflict (call_id) do nothing`,
    [cancellation.call_id, cancellation.agent_id, cancellation.reason, cancellation.at.toISOString()],
  );
}

/** The agent's cancellation of a call, if it was seen. */
export async function cancellationOf(
  q: Queryable,
  callId: string,
): Promise<{ agent_id: string; reason: string | null } | undefined> {
  const { rows } = await q.query<{ agent_id: string; reason: string | null }>(
    `select agent_id, reason from approvals.cancellations where call_id = $1`,
    [callId],
  );
  return rows[0];
}
