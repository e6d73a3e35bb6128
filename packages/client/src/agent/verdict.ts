import type { EventData } from "@airlock/shared";
import type { CallKey } from "./waiter.js";

/** The final answer to one tool call, as an agent sees it. */
export interface Verdict {
  call_id: string;
  /** Run the tool only when this is true — and only with the exact arguments checked. */
  allowed: boolean;
  /** allow · audit · deny · approved · rejected · expired · cancelled. */
  outcome: EventData<"airlock.verdict.final">["outcome"];
  reason: string;
  /** Who decided: the policy, the reviewers, the approval's timeout, or this client failing closed. */
  decided_by: EventData<"airlock.verdict.final">["decided_by"] | "client";
  /** The digest of the action the verdict is for. */
  action_digest: string;
}

/**
 * The verdict an agent acts on, from a `verdict.final` event. A verdict naming another call id, agent or
 * action than the call the agent asked about is never an allow: the approval is bound to the exact call.
 */
export function verdictFromEvent(data: EventData<"airlock.verdict.final">, asked: CallKey): Verdict {
  if (
    data.action_digest !== asked.action_digest ||
    data.call_id !== asked.call_id ||
    data.agent_id !== asked.agent_id
  ) {
    return {
      call_id: asked.call_id,
      allowed: false,
      outcome: "deny",
      reason: `the verdict is for another call (call ${data.call_id}, agent ${data.agent_id}, digest ${data.action_digest.slice(0, 12)}…; asked ${asked.action_digest.slice(0, 12)}…)`,
      decided_by: "client",
      action_digest: asked.action_digest,
    };
  }
  return {
    call_id: data.call_id,
    allowed: data.allowed,
    outcome: data.outcome,
    reason: data.reason,
    decided_by: data.decided_by,
    action_digest: data.action_digest,
  };
}

/** A deny this client decided on its own: nothing answered in time, or the caller gave up. Fail closed. */
export function clientDenial(
  callId: string,
  digest: string,
  outcome: "expired" | "cancelled",
  reason: string,
): Verdict {
  return { call_id: callId, allowed: false, outcome, reason, decided_by: "client", action_digest: digest };
}

/** The deny of a call nobody answered in time (`expired`) or the agent gave up on (`cancelled`). */
export function failClosed(
  call: { call_id: string; action_digest: string },
  aborted: boolean,
  waitedMs: number,
): Verdict {
  return aborted
    ? clientDenial(call.call_id, call.action_digest, "cancelled", "aborted by the agent")
    : clientDenial(call.call_id, call.action_digest, "expired", `no verdict within ${waitedMs} ms; failing closed`);
}

/** The deny of a call this client could not hand to Airlock, or whose verdict it could not fetch. */
export function unreachable(call: { call_id: string; action_digest: string }, error: unknown): Verdict {
  const why = error instanceof Error ? error.message : String(error);
  return clientDenial(call.call_id, call.action_digest, "expired", `could not reach Airlock (${why}); failing closed`);
}

/** Thrown by a guarded tool that was not allowed to run. */
export class DeniedError extends Error {
  readonly verdict: Verdict;
  constructor(tool: string, verdict: Verdict) {
    super(`${tool} denied (${verdict.outcome}): ${verdict.reason}`);
    this.name = "DeniedError";
    this.verdict = verdict;
  }
}
