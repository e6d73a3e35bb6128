import type { Logger, OutboxRow, ReviewerKeys, SqlClient } from "@airlock/shared";
import type { DecidedBy } from "../core/index.js";

/** What every handler works with. */
export interface HandlerContext {
  sql: SqlClient;
  /** Registered reviewers' public keys (AIRLOCK_REVIEWERS). */
  reviewers: ReviewerKeys;
  /** `headless`: every escalation resolves at once to its on_timeout action. */
  mode: "interactive" | "headless";
  now: () => Date;
  log: Logger;
}

/** A request resolved by a committed transaction, for the verdict-latency histogram. */
export interface Resolved {
  decided_by: DecidedBy;
  /** From the policy's decision to this verdict. */
  latency_seconds: number;
}

/** What a committed transaction did, for the caller to act on after COMMIT (dispatch the outbox, metrics). */
export interface Effects {
  /** Rows written to the outbox, to publish now. */
  outbox: readonly OutboxRow[];
  resolved: readonly Resolved[];
}

/** Nothing happened (a redelivery, an event of no interest). */
export const NO_EFFECTS: Effects = Object.freeze({ outbox: Object.freeze([]), resolved: Object.freeze([]) });
