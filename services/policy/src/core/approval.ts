import { parseDuration } from "@airlock/shared";
import type { ApprovalRequirement } from "./types.js";
import type { ApprovalSpec } from "./schema.js";

/** The timeout of an approval that names none. */
export const DEFAULT_APPROVAL_TIMEOUT = "1h";

/**
 * Resolve an approval route that `checkSemantics` accepted into the requirement a decision carries:
 * the pool's members listed, defaults filled in (quorum 1, no veto, no requester confirmation,
 * timeout 1h, deny on timeout), the timeout in milliseconds. Frozen: decisions share it.
 */
export function resolveApproval(
  spec: ApprovalSpec,
  pools: Readonly<Record<string, readonly string[]>>,
): ApprovalRequirement {
  const reviewers = spec.pool !== undefined ? (pools[spec.pool] ?? []) : (spec.reviewers ?? []);
  const timeoutMs = parseDuration(spec.timeout ?? DEFAULT_APPROVAL_TIMEOUT);
  if (timeoutMs === undefined) throw new TypeError(`approval timeout "${spec.timeout}" was not validated`);
  return Object.freeze({
    pool: spec.pool ?? null,
    reviewers: Object.freeze([...reviewers]) as string[],
    quorum: spec.quorum ?? 1,
    veto: spec.veto ?? false,
    confirm_by_requester: spec.confirm_by_requester ?? false,
    timeout_ms: timeoutMs,
    on_timeout: spec.on_timeout ?? "deny",
  });
}
