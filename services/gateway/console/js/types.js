// @ts-check
// The shapes the page reads from the API (GET /v1/approvals, /v1/approvals/:id), for editors and checkJs.

/**
 * @typedef {{ vote_id: string, reviewer: string, verdict: string, role: string, comment?: string | null, cast_at?: string }} Vote
 * @typedef {{ vote_id: string, reviewer: string, verdict?: string, reason: string, detail: string }} Refusal
 * @typedef {{
 *   id: string, call_id: string, state: string, agent: string, tool: string, args: Record<string, unknown>,
 *   action_digest: string, requester: string | null, rule: string | null, reason: string,
 *   opened_at?: string, expires_at: string, time_left_ms: number | null,
 *   policy?: { name: string, version: string },
 *   requirement: { pool?: string | null, reviewers: string[], quorum: number, veto?: boolean, confirm_by_requester?: boolean },
 *   votes: Vote[], refusals?: Refusal[],
 *   tally: { approvals: number, rejections: number, quorum: number },
 *   resolution: { outcome: string, allowed: boolean, reason: string, decided_by?: string, resolved_at?: string } | null
 * }} Approval
 */

export {};
