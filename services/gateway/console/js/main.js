// @ts-check
// The reviewer console: a live list of pending approvals (server-sent events), votes signed here, resolved
// requests with their audit trail, and the audit chain's status.
import { getApproval, listApprovals } from "./api.js";
import { showCheckpoint, showVerification } from "./audit.js";
import { pendingCard, resolvedCard, updatePendingCard } from "./cards.js";
import { renderAuditTrail, renderDetail } from "./detail.js";
import { announce, byId } from "./dom.js";
import { timeLeft } from "./format.js";
import { setupIdentity } from "./identity.js";
import { blocker, castVotes, reportMyVotes } from "./voting.js";

/** @typedef {import("./types.js").Approval} Approval */

/** @type {Map<string, Approval>} */
const approvals = new Map();
/** Request id → the Date.now() instant it expires (from the server's time_left_ms: immune to clock skew). */
const deadlines = new Map();
/** @type {Set<string>} */
const selected = new Set();
/** @type {string | undefined} the request shown in the dialog */
let shown;
const RESOLVED_SHOWN = 50;

const pendingList = byId("pending-list");
const resolvedList = byId("resolved-list");
const dialog = /** @type {HTMLDialogElement} */ (byId("detail"));

/** @param {Element} list @param {string} id */
function cardOf(list, id) {
  return /** @type {HTMLElement | null} */ (list.querySelector(`[data-request-id="${CSS.escape(id)}"]`));
}

/** @type {import("./cards.js").Decide} */
const decide = (approval, verdict, comment) => void castVotes([approval], verdict, comment, { approvals, refresh });

const actions = {
  decide,
  open: (/** @type {string} */ id) => void openDetail(id),
  select: (/** @type {string} */ id, /** @type {boolean} */ on) => {
    if (on) selected.add(id);
    else selected.delete(id);
    updateBatch();
  },
};

function updateBatch() {
  const count = selected.size;
  byId("selected-count").textContent = count === 0 ? "none selected" : `${count} selected`;
  for (const id of ["batch-approve", "batch-reject"])
    /** @type {HTMLButtonElement} */ (byId(id)).disabled = count === 0;
}

function updateCounts() {
  const pending = pendingList.childElementCount;
  byId("pending-count").textContent = String(pending);
  byId("pending-empty").hidden = pending > 0;
  byId("resolved-empty").hidden = resolvedList.childElementCount > 0;
}

/** @param {Approval} approval */
function placePending(approval) {
  let card = cardOf(pendingList, approval.id);
  if (!card) {
    card = pendingCard(approval, actions);
    // Soonest to expire first: that is what needs a reviewer now.
    const later = [...pendingList.children].find(
      (other) => (approvals.get(other.getAttribute("data-request-id") ?? "")?.expires_at ?? "") > approval.expires_at,
    );
    pendingList.insertBefore(card, later ?? null);
  }
  updatePendingCard(card, approval, deadlines.get(approval.id) ?? Date.now(), blocker(approval));
}

/** @param {Approval} approval */
function placeResolved(approval) {
  const card = cardOf(pendingList, approval.id);
  if (card) {
    // Keep the keyboard user's place: focus moves to the list's heading rather than into the void.
    if (card.contains(document.activeElement)) byId("pending-title").focus();
    card.remove();
    selected.delete(approval.id);
    updateBatch();
  }
  cardOf(resolvedList, approval.id)?.remove();
  const at = approval.resolution?.resolved_at ?? "";
  const later = [...resolvedList.children].find(
    (other) => (approvals.get(other.getAttribute("data-request-id") ?? "")?.resolution?.resolved_at ?? "") < at,
  );
  resolvedList.insertBefore(resolvedCard(approval, actions.open), later ?? null);
  while (resolvedList.childElementCount > RESOLVED_SHOWN) resolvedList.lastElementChild?.remove();
}

/**
 * Take a request as the API shows it now.
 * @param {Approval} approval
 * @param {{ quiet?: boolean }} [options]
 */
function upsert(approval, options = {}) {
  const known = approvals.get(approval.id);
  // A list read can race a pushed update: a resolved request never goes back to pending.
  if (known && known.state !== "pending" && approval.state === "pending") return;
  // The list shows no refused votes; keep the ones a detail read brought.
  const next = !approval.refusals && known?.refusals ? { ...approval, refusals: known.refusals } : approval;
  approvals.set(next.id, next);
  if (next.time_left_ms !== null) deadlines.set(next.id, Date.now() + next.time_left_ms);
  // First, so the controls drawn below already know whether this page's vote has landed.
  reportMyVotes(next);
  if (next.state === "pending") {
    placePending(next);
    if (!known && !options.quiet) announce(`New approval request: ${next.tool} by ${next.agent}`);
  } else if (!known || known.state === "pending") {
    placeResolved(next);
    if (known && !options.quiet) announce(`${next.tool} by ${next.agent}: ${next.state}`);
  }
  updateCounts();
  if (shown === next.id) {
    renderDetail(next, { decide, blocked: blocker(next), fresh: false });
    if (known?.state !== next.state || known?.votes.length !== next.votes.length) void renderAuditTrail(next.call_id);
  }
}

/** @param {string} id */
async function refresh(id) {
  try {
    upsert(await getApproval(id));
  } catch (error) {
    announce(`Could not read request ${id}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function loadAll() {
  try {
    /** @type {Approval[]} */
    const list = await listApprovals();
    for (const approval of list.reverse()) upsert(approval, { quiet: true });
    announce(`${pendingList.childElementCount} pending approval requests`);
  } catch (error) {
    announce(`Could not load the approvals: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** @param {string} id */
async function openDetail(id) {
  try {
    const approval = await getApproval(id);
    upsert(approval, { quiet: true });
    shown = id;
    renderDetail(approvals.get(id) ?? approval, { decide, blocked: blocker(approval), fresh: true });
    if (!dialog.open) dialog.showModal();
    void renderAuditTrail(approval.call_id);
  } catch (error) {
    announce(`Could not open request ${id}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function openFromHash() {
  const match = /^#\/approvals\/(.+)$/.exec(location.hash);
  if (match?.[1]) void openDetail(decodeURIComponent(match[1]));
}

/** @param {"connecting" | "live" | "reconnecting"} state */
function setConnection(state) {
  const element = byId("connection");
  element.dataset.state = state;
  element.textContent = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" }[state];
}

function connect() {
  const source = new EventSource("/v1/events/approvals");
  // `ready` comes once the stream listens: load the list then, so no change falls in between.
  source.addEventListener("ready", () => {
    setConnection("live");
    void loadAll();
    void showCheckpoint();
  });
  source.addEventListener("approval", (event) => {
    /** @type {{ type: string, request_id: string, approval: Approval | null }} */
    const change = JSON.parse(/** @type {MessageEvent} */ (event).data);
    if (change.approval) upsert(change.approval);
    else void refresh(change.request_id);
    if (change.type === "airlock.approval.resolved") void showCheckpoint();
  });
  source.addEventListener("error", () => setConnection("reconnecting"));
}

/** @param {"approve" | "reject"} verdict */
async function batch(verdict) {
  const list = [...selected].map((id) => approvals.get(id)).filter((a) => a !== undefined);
  const comment = /** @type {HTMLInputElement} */ (byId("batch-comment")).value.trim();
  const sent = await castVotes(list, verdict, comment, { approvals, refresh });
  byId("batch-status").textContent =
    `${sent} of ${list.length} ${verdict === "approve" ? "approvals" : "rejections"} signed and sent.`;
  for (const id of [...selected]) {
    const box = cardOf(pendingList, id)?.querySelector("input.select");
    if (box) /** @type {HTMLInputElement} */ (box).checked = false;
  }
  selected.clear();
  updateBatch();
}

function rerenderAll() {
  for (const approval of approvals.values()) {
    const card = approval.state === "pending" ? cardOf(pendingList, approval.id) : null;
    if (card) updatePendingCard(card, approval, deadlines.get(approval.id) ?? Date.now(), blocker(approval));
  }
  const open = shown ? approvals.get(shown) : undefined;
  if (open) renderDetail(open, { decide, blocked: blocker(open), fresh: false });
}

byId("batch-approve").addEventListener("click", () => void batch("approve"));
byId("batch-reject").addEventListener("click", () => void batch("reject"));
byId("select-all").addEventListener("change", (event) => {
  const on = /** @type {HTMLInputElement} */ (event.target).checked;
  for (const box of pendingList.querySelectorAll("input.select:not(:disabled)")) {
    /** @type {HTMLInputElement} */ (box).checked = on;
    const id = box.closest("[data-request-id]")?.getAttribute("data-request-id");
    if (id && on) selected.add(id);
    else if (id) selected.delete(id);
  }
  updateBatch();
});
byId("verify").addEventListener("click", () => void showVerification());
byId("detail-close").addEventListener("click", () => dialog.close());
// The audit service records events a moment after they happen: while a request is open, keep its trail
// current.
const TRAIL_REFRESH_MS = 3000;
setInterval(() => {
  const open = shown ? approvals.get(shown) : undefined;
  if (open && dialog.open) void renderAuditTrail(open.call_id);
}, TRAIL_REFRESH_MS);
dialog.addEventListener("close", () => {
  shown = undefined;
  delete byId("detail-audit").dataset.call;
  if (location.hash.startsWith("#/approvals/")) history.replaceState(null, "", location.pathname + location.search);
});
window.addEventListener("hashchange", openFromHash);
setInterval(() => {
  for (const card of pendingList.children) {
    const left = card.querySelector(".time-left");
    const deadline = deadlines.get(card.getAttribute("data-request-id") ?? "");
    if (left && deadline !== undefined) left.textContent = timeLeft(deadline - Date.now());
  }
}, 1000);

setConnection("connecting");
updateBatch();
await setupIdentity(rerenderAll);
connect();
openFromHash();
void showVerification();
