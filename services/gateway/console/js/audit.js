// @ts-check
// The audit chain's status: its latest signed checkpoint, and a full verification on demand.
import { latestCheckpoint, verifyAudit } from "./api.js";
import { byId, h } from "./dom.js";
import { shortHash, when } from "./format.js";

/** @param {string} message */
function errorText(message) {
  return h("span", { class: "error" }, message);
}

/** Show the latest checkpoint. */
export async function showCheckpoint() {
  const target = byId("audit-checkpoint");
  try {
    const { latest } = await latestCheckpoint();
    target.replaceChildren(
      latest
        ? `${latest.tree_size} entries, signed ${when(latest.signed_at)} by key ${latest.key_id}; root ${shortHash(latest.root_hash)}`
        : "No checkpoint yet.",
    );
  } catch (error) {
    target.replaceChildren(errorText(`unavailable: ${error instanceof Error ? error.message : String(error)}`));
  }
}

/** Recompute the whole chain on the server (GET /v1/audit/verify) and show the verdict. */
export async function showVerification() {
  const target = byId("audit-verify");
  const button = /** @type {HTMLButtonElement} */ (byId("verify"));
  button.disabled = true;
  target.replaceChildren("Verifying…");
  try {
    /** @type {{ ok: boolean, trust: string, chains: Array<{ chain: string, ok: boolean, entries: number, checkpoints: number, unvouched: number, problem?: { kind: string, seq: number, message: string } }> }} */
    const report = await verifyAudit();
    const lines = report.chains.map((chain) =>
      chain.ok
        ? h(
            "li",
            {},
            `${chain.chain}: intact — ${chain.entries} entries, ${chain.checkpoints} checkpoints, ${chain.unvouched} not yet checkpointed`,
          )
        : h(
            "li",
            { class: "error" },
            `${chain.chain}: ${chain.problem?.kind ?? "broken"} at seq ${chain.problem?.seq ?? "?"} — ${chain.problem?.message ?? ""}`,
          ),
    );
    target.replaceChildren(
      h("strong", { class: report.ok ? "ok" : "error" }, report.ok ? "Intact" : "Tampered"),
      ` (checked ${new Date().toLocaleTimeString()}, signatures trusted from ${report.trust === "pinned" ? "pinned keys" : "the database's key list"})`,
      lines.length ? h("ul", { class: "plain" }, lines) : h("p", {}, "The log is empty."),
    );
  } catch (error) {
    target.replaceChildren(
      errorText(`verification failed to run: ${error instanceof Error ? error.message : String(error)}`),
    );
  } finally {
    button.disabled = false;
  }
}
