import { impossibility } from "./requirement.js";
import { tallyOf } from "./tally.js";
import type { Requirement, RequestSnapshot, Resolution } from "./types.js";

/** How an escalation opens. */
export interface OpenInput {
  requirement: Requirement & { timeout_ms: number };
  requester: string | null;
  /** `headless`: no humans will answer, so the request resolves at once to `on_timeout`. */
  mode: "interactive" | "headless";
  /** The agent already cancelled the call (the cancellation arrived before the decision). */
  cancelled: boolean;
  now_ms: number;
}

/** A new request: when it expires, and its resolution when it cannot stay open. */
export interface Opening {
  expires_at_ms: number;
  resolution?: Resolution;
}

/**
 * Open a request. It resolves at once when the call was already cancelled, when the requirement can
 * never be met (rejected, fail closed), or in headless mode (to `on_timeout`); otherwise it is pending.
 */
export function openRequest(input: OpenInput): Opening {
  const { requirement, requester } = input;
  const expires_at_ms = input.now_ms + requirement.timeout_ms;
  const tally = tallyOf(requirement, []);
  if (input.cancelled) {
    return { expires_at_ms, resolution: cancelled(tally, "the agent cancelled the call") };
  }
  const impossible = impossibility(requirement, requester);
  if (impossible !== undefined) {
    return {
      expires_at_ms,
      resolution: { outcome: "rejected", allowed: false, reason: impossible, decided_by: "approval", tally },
    };
  }
  if (input.mode === "headless") {
    return { expires_at_ms, resolution: timedOut(requirement, tally, "headless mode: no reviewers will answer") };
  }
  return { expires_at_ms };
}

/** The resolution of a pending request whose time is up at `now_ms`; undefined while it may still be decided. */
export function expire(request: RequestSnapshot, now_ms: number): Resolution | undefined {
  if (request.state !== "pending" || now_ms < request.expires_at_ms) return undefined;
  return timedOut(request.requirement, tallyOf(request.requirement, request.votes), "no decision before the timeout");
}

/** The resolution of a pending request the agent cancelled; undefined when it is already resolved. */
export function cancel(request: RequestSnapshot, reason: string | undefined): Resolution | undefined {
  if (request.state !== "pending") return undefined;
  return cancelled(tallyOf(request.requirement, request.votes), reason ?? "the agent cancelled the call");
}

function timedOut(requirement: Requirement, tally: Resolution["tally"], why: string): Resolution {
  const allowed = requirement.on_timeout === "allow";
  return {
    outcome: "expired",
    allowed,
    reason: `${why}; on_timeout: ${requirement.on_timeout}`,
    decided_by: "timeout",
    tally,
  };
}

function cancelled(tally: Resolution["tally"], reason: string): Resolution {
  return { outcome: "cancelled", allowed: false, reason, decided_by: "approval", tally };
}
