import type { Requirement } from "./types.js";

/**
 * The reviewers whose votes count towards the quorum: the pool's distinct members, minus the requester,
 * who never approves their own call.
 */
export function eligibleReviewers(requirement: Requirement, requester: string | null): string[] {
  return [...new Set(requirement.reviewers)].filter((reviewer) => reviewer !== requester);
}

/** Why a requirement can never be met, or undefined when it can. */
export function impossibility(requirement: Requirement, requester: string | null): string | undefined {
  const eligible = eligibleReviewers(requirement, requester);
  if (requirement.quorum > eligible.length) {
    const without =
      requester !== null && requirement.reviewers.includes(requester) ? ` (the requester ${requester} excluded)` : "";
    return `impossible requirement: quorum ${requirement.quorum} exceeds the ${eligible.length} eligible reviewer(s)${without}`;
  }
  if (requirement.confirm_by_requester && requester === null) {
    return "impossible requirement: confirm_by_requester, but the call names no requester (context.user)";
  }
  return undefined;
}
