// @ts-check
// The cards of the pending and resolved lists. A pending card is built once and then updated in place,
// so a comment being typed, the focus and the selection survive live updates.
import { h, uid } from "./dom.js";
import { json, tallyText, timeLeft, when } from "./format.js";

/** @typedef {import("./types.js").Approval} Approval */
/** @typedef {(approval: Approval, verdict: "approve" | "reject", comment: string, card: HTMLElement) => void} Decide */

/**
 * @param {string} term
 * @param {string | Node} value
 */
export function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

/** @param {Approval} approval */
export function votesText(approval) {
  const names = approval.votes.map(
    (vote) => `${vote.reviewer} ${vote.verdict === "approve" ? "approved" : "rejected"}`,
  );
  return names.length === 0 ? tallyText(approval.tally) : `${tallyText(approval.tally)} (${names.join("; ")})`;
}

/**
 * @param {Approval} approval
 * @param {string} id
 */
function heading(approval, id) {
  return h("h3", { id }, h("code", {}, approval.tool), " ", h("span", { class: "by" }, `by ${approval.agent}`));
}

/**
 * The decision controls of one request: an optional comment, Approve, Reject.
 * @param {Approval} approval
 * @param {string} describedBy the id of what names the request, for screen readers
 * @param {Decide} decide
 */
export function decisionControls(approval, describedBy, decide) {
  const comment = uid("comment");
  /** @param {"approve" | "reject"} verdict @param {Event} event */
  const click = (verdict, event) => {
    const box = /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (event.currentTarget).closest(".decision"));
    const input = /** @type {HTMLInputElement} */ (box.querySelector("input.comment"));
    decide(approval, verdict, input.value.trim(), box);
  };
  return h(
    "div",
    { class: "decision" },
    h("label", { for: comment }, "Comment (optional)"),
    h("input", { id: comment, class: "comment", type: "text", maxlength: 4000, autocomplete: "off" }),
    h(
      "div",
      { class: "buttons" },
      h(
        "button",
        {
          type: "button",
          class: "approve",
          "aria-describedby": describedBy,
          onclick: (/** @type {Event} */ e) => click("approve", e),
        },
        "Approve",
      ),
      h(
        "button",
        {
          type: "button",
          class: "reject",
          "aria-describedby": describedBy,
          onclick: (/** @type {Event} */ e) => click("reject", e),
        },
        "Reject",
      ),
    ),
    h("p", { class: "status", role: "status" }),
  );
}

/**
 * A pending request's card.
 * @param {Approval} approval
 * @param {{ decide: Decide, open: (id: string) => void, select: (id: string, on: boolean) => void }} actions
 */
export function pendingCard(approval, actions) {
  const title = uid("title");
  const select = uid("select");
  return h(
    "li",
    { class: "card", "data-request-id": approval.id, "aria-labelledby": title },
    h(
      "div",
      { class: "card-head" },
      h("input", {
        type: "checkbox",
        id: select,
        class: "select",
        onchange: (/** @type {Event} */ e) =>
          actions.select(approval.id, /** @type {HTMLInputElement} */ (e.target).checked),
      }),
      h("label", { for: select, class: "visually-hidden" }, `Select ${approval.tool} by ${approval.agent}`),
      heading(approval, title),
      h("span", { class: "time-left", title: `expires ${when(approval.expires_at)}` }),
    ),
    h("p", { class: "reason" }, approval.reason),
    h(
      "dl",
      { class: "facts" },
      fact("Agent", approval.agent),
      fact("Requester", approval.requester ?? "—"),
      fact("Rule", approval.rule ?? "—"),
      fact("Votes", h("span", { class: "votes" })),
    ),
    h("pre", { class: "args", tabindex: 0, "aria-label": `Arguments of ${approval.tool}` }, json(approval.args)),
    decisionControls(approval, title, actions.decide),
    h(
      "button",
      { type: "button", class: "details link", "aria-describedby": title, onclick: () => actions.open(approval.id) },
      "Details and audit trail",
    ),
  );
}

/**
 * Refresh what changes on a pending card: votes, time left, and whether this reviewer may still vote.
 * @param {HTMLElement} card
 * @param {Approval} approval
 * @param {number} deadline Date.now()-based instant the request expires
 * @param {string | null} blocked why this reviewer cannot vote, or null
 */
export function updatePendingCard(card, approval, deadline, blocked) {
  const votes = card.querySelector(".votes");
  if (votes) votes.textContent = votesText(approval);
  const left = card.querySelector(".time-left");
  if (left) left.textContent = timeLeft(deadline - Date.now());
  updateDecision(card, blocked);
}

/**
 * Disable a request's controls, with the reason, when this reviewer cannot vote on it.
 * @param {Element} scope
 * @param {string | null} blocked
 */
export function updateDecision(scope, blocked) {
  for (const button of scope.querySelectorAll(".decision button, input.select")) {
    /** @type {HTMLButtonElement} */ (button).disabled = blocked !== null;
  }
  const note = scope.querySelector(".decision .status");
  if (note && blocked !== null) note.textContent = blocked;
}

/**
 * A resolved request's card.
 * @param {Approval} approval
 * @param {(id: string) => void} open
 */
export function resolvedCard(approval, open) {
  const title = uid("title");
  const outcome = approval.resolution?.outcome ?? approval.state;
  return h(
    "li",
    { class: "card resolved", "data-request-id": approval.id, "aria-labelledby": title },
    h(
      "div",
      { class: "card-head" },
      heading(approval, title),
      h("span", { class: `badge outcome-${outcome}` }, outcome),
    ),
    h("p", { class: "reason" }, approval.resolution?.reason || approval.reason),
    h(
      "dl",
      { class: "facts" },
      fact("Votes", votesText(approval)),
      fact("Resolved", when(approval.resolution?.resolved_at)),
    ),
    h(
      "button",
      { type: "button", class: "details link", "aria-describedby": title, onclick: () => open(approval.id) },
      "Details and audit trail",
    ),
  );
}
