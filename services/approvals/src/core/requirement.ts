import { canonicalId, sameId } from "@airlock/shared";
import type { Requirement } from "./types.js";

/**
 * The reviewers whose votes count towards the quorum: the pool's distinct members, minus the requester,
 * who never approves their own call. Ids are compared in their canonical form ({@link canonicalId}).
 */
export function eligibleReviewers(requirement: Requirement, requester: string | null): string[] {
  const distinct = new Map<string, string>();
  for (const reviewer of requirement.reviewers)
    if (!distinct.has(canonicalId(reviewer))) distinct.set(canonicalId(reviewer), reviewer);
  return [...distinct.values()].filter((reviewer) => !sameId(reviewer, requester));
}

/** Why a requirement can never be met, or undefined when it can. */
export function impossibility(requirement: Requirement, requester: string | null): string | undefined {
  const eligible = eligibleReviewers(requirement, requester);
  if (requirement.quorum > eligible.length) {
    const without =
      requester !== null && requirement.reviewers.some((reviewer) => sameId(reviewer, requester))
        ? ` (the requester ${requester} excluded)`
        : "";
    return `impossible requirement: quorum ${requirement.quorum} exceeds the ${eligible.length} eligible reviewer(s)${without}`;
  }
  if (requirement.confirm_by_requester && requester === null) {
    return "impossible requirement: confirm_by_requester, but the call names no requester (context.user)";
  }
  return undefined;
}
