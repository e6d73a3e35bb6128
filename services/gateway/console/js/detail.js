// @ts-check
// The dialog showing one request in full: what was asked, who voted, refused votes, and its audit trail.
import { auditTrail } from "./api.js";
import { decisionControls, fact, updateDecision, votesText } from "./cards.js";
import { byId, h } from "./dom.js";
import { json, shortHash, when } from "./format.js";

/** @typedef {import("./types.js").Approval} Approval */
/** @typedef {import("./cards.js").Decide} Decide */

/** @param {Approval} approval */
function facts(approval) {
  const req = approval.requirement;
  return h(
    "dl",
    { class: "facts wide" },
    fact("State", h("span", { class: `badge outcome-${approval.state}` }, approval.state)),
    fact("Agent", approval.agent),
    fact("Tool", h("code", {}, approval.tool)),
    fact("Requester", approval.requester ?? "—"),
    fact("Rule", approval.rule ?? "—"),
    fact("Reason", approval.reason),
    fact(
      "Reviewers",
      `${req.quorum} of ${req.pool ?? "the listed reviewers"}: ${req.reviewers.join(", ")}${req.veto ? " (a reject vetoes)" : ""}`,
    ),
    fact("Votes", votesText(approval)),
    fact("Opened", when(approval.opened_at)),
    fact("Expires", when(approval.expires_at)),
    approval.resolution ? fact("Outcome", `${approval.resolution.outcome}: ${approval.resolution.reason}`) : null,
    fact("Request", h("code", {}, approval.id)),
    fact("Call", h("code", {}, approval.call_id)),
    fact("Action digest", h("code", { title: approval.action_digest }, shortHash(approval.action_digest))),
  );
}

/**
 * @param {Approval} approval
 * @returns {HTMLElement[]}
 */
function voteList(approval) {
  const items = approval.votes.map((vote) =>
    h(
      "li",
      {},
      `${vote.reviewer} ${vote.verdict === "approve" ? "approved" : "rejected"}`,
      vote.role === "pool" ? "" : ` (${vote.role})`,
      vote.comment ? ` — “${vote.comment}”` : "",
    ),
  );
  const refused = (approval.refusals ?? []).map((refusal) =>
    h("li", { class: "refused" }, `${refusal.reviewer}: refused (${refusal.reason}) — ${refusal.detail}`),
  );
  const parts = [h("h3", {}, "Votes"), items.length ? h("ul", { class: "plain" }, items) : h("p", {}, "No votes yet.")];
  if (refused.length) parts.push(h("h3", {}, "Refused votes"), h("ul", { class: "plain" }, refused));
  return parts;
}

/**
 * Fill the dialog with a request. The decision controls are built once per request, so a comment being
 * typed survives updates; the rest is redrawn.
 * @param {Approval} approval
 * @param {{ decide: Decide, blocked: string | null, fresh: boolean }} options
 */
export function renderDetail(approval, options) {
  byId("detail-title").replaceChildren(h("code", {}, approval.tool), ` by ${approval.agent}`);
  byId("detail-body").replaceChildren(
    facts(approval),
    h("h3", {}, "Arguments"),
    h("pre", { class: "args", tabindex: 0, "aria-label": "Arguments" }, json(approval.args)),
    ...voteList(approval),
  );
  const decision = byId("detail-decision");
  decision.setAttribute("data-request-id", approval.id);
  if (approval.state !== "pending") decision.replaceChildren();
  else if (options.fresh || decision.childElementCount === 0)
    decision.replaceChildren(decisionControls(approval, "detail-title", options.decide));
  updateDecision(decision, options.blocked);
}

/**
 * Load and show a call's audit trail: every recorded event about it, in chain order. Called again while
 * the dialog is open, it redraws only when the trail grew.
 * @param {string} callId
 */
export async function renderAuditTrail(callId) {
  const target = byId("detail-audit");
  const shown = target.dataset.call === callId;
  if (!shown) target.replaceChildren(h("p", {}, "Loading…"));
  try {
    /** @type {Array<{ seq: number, type: string, recorded_at: string, hash: string, event: any }>} */
    const events = await auditTrail(callId);
    // The log only grows: the same count is the same trail, and redrawing it would reset the reader's scroll.
    if (shown && target.dataset.count === String(events.length)) return;
    target.dataset.call = callId;
    target.dataset.count = String(events.length);
    if (events.length === 0) return target.replaceChildren(h("p", {}, "Nothing recorded yet."));
    const rows = events.map((entry) =>
      h(
        "tr",
        {},
        h("td", {}, String(entry.seq)),
        h("td", {}, entry.type.replace(/^airlock\./, "")),
        h("td", {}, String(entry.event?.source ?? "")),
        h("td", {}, when(entry.recorded_at)),
        h("td", {}, h("code", { title: entry.hash }, shortHash(entry.hash))),
      ),
    );
    target.replaceChildren(
      h(
        "div",
        { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "Audit trail" },
        h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Seq", "Event", "Source", "Recorded", "Hash"].map((name) => h("th", { scope: "col" }, name)),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
    );
  } catch (error) {
    target.replaceChildren(
      h(
        "p",
        { class: "error" },
        `Could not load the audit trail: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
}
