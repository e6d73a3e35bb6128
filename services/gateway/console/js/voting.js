// @ts-check
// Casting votes: check the action's digest, sign in the browser, POST, then follow the vote until the
// approvals service counts or refuses it (the live feed brings the request back with it).
import { postVote } from "./api.js";
import { announce, byId } from "./dom.js";
import { identity } from "./identity.js";
import { actionDigest, newVoteId, signVote } from "./signing.js";

/** @typedef {import("./types.js").Approval} Approval */

/** Votes this page sent that the service has not yet counted or refused: vote id → request id. */
const inFlight = new Map();
/** Requests with a vote of this page on its way: no second click until it is counted or refused. */
const sending = new Set();
/** If the live feed misses a vote's outcome, read the request again every so often, so many times. */
const FALLBACK_REFRESH_MS = 4000;
const FALLBACK_REFRESHES = 15;

/**
 * Why the current reviewer cannot vote on a request now, or null when they can. The service checks all of
 * this again; the page only spares the reviewer a vote that would be refused.
 * @param {Approval} approval
 * @returns {string | null}
 */
export function blocker(approval) {
  if (approval.state !== "pending") return `This request is ${approval.state}.`;
  if (sending.has(approval.id)) return "Your vote is on its way…";
  const me = identity()?.reviewer;
  if (me === undefined) return null;
  const mine = approval.votes.find((vote) => vote.reviewer === me);
  if (mine) return `You ${mine.verdict === "approve" ? "approved" : "rejected"} this request.`;
  const { requirement } = approval;
  if (me === approval.requester) {
    const confirmed = approval.votes.some((vote) => vote.role === "confirm");
    return requirement.confirm_by_requester && !confirmed ? null : "You requested this call: you cannot vote on it.";
  }
  if (!requirement.reviewers.includes(me)) return `${me} is not one of this request's reviewers.`;
  return null;
}

/**
 * Show a message under a request's controls (its card and, when open, the dialog).
 * @param {string} requestId
 * @param {string} message
 */
function setStatus(requestId, message) {
  for (const status of document.querySelectorAll(`[data-request-id="${CSS.escape(requestId)}"] .decision .status`)) {
    status.textContent = message;
  }
}

/**
 * @param {Approval} approval
 * @param {"approve" | "reject"} verdict
 * @param {string} comment
 * @param {(id: string) => Promise<void>} refresh
 * @returns {Promise<boolean>} whether the vote was sent
 */
async function castOne(approval, verdict, comment, refresh) {
  const me = identity();
  if (!me) return false;
  const blocked = blocker(approval);
  if (blocked !== null) {
    setStatus(approval.id, blocked);
    return false;
  }
  sending.add(approval.id);
  setStatus(approval.id, "Signing…");
  try {
    // Sign only the action shown: the digest must be that of the agent, tool and arguments on screen.
    if ((await actionDigest(approval)) !== approval.action_digest) {
      throw new Error("the action shown does not match the request's digest");
    }
    const vote = await signVote(
      {
        vote_id: newVoteId(),
        request_id: approval.id,
        action_digest: approval.action_digest,
        reviewer: me.reviewer,
        verdict,
        ...(comment === "" ? {} : { comment }),
      },
      me.key,
    );
    inFlight.set(vote.vote_id, approval.id);
    await postVote(vote);
    setStatus(
      approval.id,
      `${verdict === "approve" ? "Approval" : "Rejection"} signed and sent; waiting for it to count…`,
    );
    followUp(approval.id, vote.vote_id, refresh, FALLBACK_REFRESHES);
    return true;
  } catch (error) {
    sending.delete(approval.id);
    setStatus(approval.id, `Not sent: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/**
 * Read the request again until the vote counted or was refused (reportMyVotes clears it), in case the
 * live feed missed that — a busy service may take longer than one wait. After the last try, say so.
 * @param {string} requestId
 * @param {string} voteId
 * @param {(id: string) => Promise<void>} refresh
 * @param {number} tries
 */
function followUp(requestId, voteId, refresh, tries) {
  setTimeout(async () => {
    if (!inFlight.has(voteId)) return;
    await refresh(requestId);
    if (!inFlight.has(voteId)) return;
    if (tries > 1) return followUp(requestId, voteId, refresh, tries - 1);
    inFlight.delete(voteId);
    sending.delete(requestId);
    setStatus(requestId, "Your vote was sent, but the service has not counted it yet; reload to check.");
  }, FALLBACK_REFRESH_MS);
}

/**
 * Sign and send one vote per request, each its own signature; resolves to how many were sent.
 * @param {Approval[]} list
 * @param {"approve" | "reject"} verdict
 * @param {string} comment
 * @param {{ approvals: Map<string, Approval>, refresh: (id: string) => Promise<void> }} context
 */
export async function castVotes(list, verdict, comment, context) {
  if (!identity()) {
    announce("Load your reviewer key first.");
    byId("identity-status").textContent = "Load your reviewer key to vote.";
    byId("reviewer-id").focus();
    return 0;
  }
  // The latest known state of each request, not the one captured when its card was drawn.
  const current = list.map((approval) => context.approvals.get(approval.id) ?? approval);
  const sent = await Promise.all(current.map((approval) => castOne(approval, verdict, comment, context.refresh)));
  return sent.filter(Boolean).length;
}

/**
 * Follow this page's votes on a request: tell the reviewer when one counted or was refused.
 * @param {Approval} approval
 */
export function reportMyVotes(approval) {
  for (const [voteId, requestId] of inFlight) {
    if (requestId !== approval.id) continue;
    const refusal = approval.refusals?.find((r) => r.vote_id === voteId);
    const counted = approval.votes.some((vote) => vote.vote_id === voteId);
    if (!refusal && !counted && approval.state === "pending") continue;
    inFlight.delete(voteId);
    sending.delete(approval.id);
    if (refusal) {
      const message = `Your vote was refused (${refusal.reason}): ${refusal.detail}`;
      setStatus(approval.id, message);
      announce(message);
    } else if (counted) {
      announce(`Your vote on ${approval.tool} by ${approval.agent} counted.`);
    }
  }
}
