import type { EventData, Queryable } from "@airlock/shared";
import type { CallLookup, CallStatus } from "./routes/tool-calls.js";

/**
 * A call's decision and verdict, read from the audit log — the one store that sees every event of every
 * service, in every deployment. Every event about a call has the call id as its CloudEvents `subject`.
 */
export function auditCallLookup(sql: Queryable): CallLookup {
  return async (callId) => {
    const { rows } = await sql.query<{ type: string; event: string }>(
      `select type, event from audit.log
        where subject = $1 and type in ('airlock.policy.decided', 'airlock.verdict.final')
        order by chain, seq`,
      [callId],
    );
    if (rows.length === 0) return undefined;
    const status: CallStatus = { call_id: callId };
    for (const row of rows) {
      const data = (JSON.parse(row.event) as { data: unknown }).data;
      if (row.type === "airlock.policy.decided") status.decision = data as EventData<"airlock.policy.decided">;
      else status.verdict = data as EventData<"airlock.verdict.final">;
    }
    return status;
  };
}
