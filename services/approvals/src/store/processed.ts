import { canonicalBytes, sha256Hex, type AirlockEvent, type Queryable } from "@airlock/shared";

/**
 * What claiming an event found: `claimed` the first time its id is seen; `seen` when it was handled
 * before with the same content (a redelivery); `conflict` when the id was handled before with other
 * content.
 */
export type Claim = "claimed" | "seen" | "conflict";

/**
 * Claim an event for this transaction, in one round trip. Inside the handler's transaction, so the claim
 * commits with the effects or not at all; a second delivery racing the first waits on the primary key
 * and then sees it taken. The event's digest is kept beside its id, so a different event under a
 * handled id is told from a redelivery.
 */
export async function claimEvent(tx: Queryable, event: AirlockEvent): Promise<Claim> {
  const digest = sha256Hex(canonicalBytes(event));
  // The outer SELECT reads the statement's snapshot, from before the INSERT: a stored digest means the
  // id was there already.
  const { rows } = await tx.query<{ claimed: boolean; digest: string | null }>(
    `with claimed as (
       insert into approvals.processed_events (event_id, type, digest) values ($1, $2, $3)
       on conflict (event_id) do nothing returning event_id)
     select exists (select 1 from claimed) as claimed,
            (select digest from approvals.processed_events where event_id = $1) as digest`,
    [event.id, event.type, digest],
  );
  const row = rows[0]!;
  if (row.claimed) return "claimed";
  let stored = row.digest;
  if (stored === null) {
    // Claimed by a transaction that committed while this statement waited on the key: its snapshot
    // could not see the row. A statement of its own can (READ COMMITTED).
    const { rows: again } = await tx.query<{ digest: string | null }>(
      `select digest from approvals.processed_events where event_id = $1`,
      [event.id],
    );
    stored = again[0]?.digest ?? null;
  }
  return stored === null || stored === digest ? "seen" : "conflict";
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
