import type { PolicyAction } from "./types.js";

/**
 * The value of a condition: `true`, `false`, or `"unknown"` when the call's data cannot decide it — the
 * field is missing, of another JSON type than the comparison was written for, or a number past ±2^53.
 * Combinators follow Kleene's strong three-valued logic (see `and`, `or`, `not`).
 */
export type Truth = boolean | "unknown";

/** Kleene's third value. */
export const UNKNOWN = "unknown" as const;

/** `all`: false if any part is false, else unknown if any part is unknown, else true. */
export function and(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : true;
}

/** `any`: true if any part is true, else unknown if any part is unknown, else false. */
export function or(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : false;
}

/** `not`: the negation of unknown is unknown — a negated comparison that cannot be decided stays undecided. */
export function not(a: Truth): Truth {
  return a === UNKNOWN ? UNKNOWN : !a;
}

/** Deny and escalate restrict a call; allow and audit let it through. */
export function isRestrictive(action: PolicyAction): boolean {
  return action === "deny" || action === "escalate";
}

/**
 * Whether a rule whose condition came out `truth` applies to the call. The fail-closed rule: an
 * undecidable condition applies when the rule restricts (deny, escalate) and not when it permits
 * (allow, audit), so a value of the wrong type or a missing field never lets a call past a restriction
 * and never earns it a permission.
 */
export function applies(action: PolicyAction, truth: Truth): boolean {
  return truth === true || (truth === UNKNOWN && isRestrictive(action));
}
