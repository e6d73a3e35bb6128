// @ts-check
// Who signs: the reviewer id and their private key, imported from a PEM file or pasted text. The PEM text
// is dropped as soon as it is imported; only the non-extractable CryptoKey stays (in memory, or in
// IndexedDB when the reviewer asks this device to remember it).
import { byId } from "./dom.js";
import { forgetIdentity, loadIdentity, saveIdentity } from "./key-store.js";
import { importPrivateKey } from "./signing.js";

/** @typedef {import("./key-store.js").Identity} Identity */

/** @type {Identity | undefined} */
let current;

/** The reviewer signing votes now, if any. */
export function identity() {
  return current;
}

function show() {
  const form = byId("key-form");
  const signedIn = byId("signed-in");
  form.hidden = current !== undefined;
  signedIn.hidden = current === undefined;
  byId("signed-as").textContent = current ? current.reviewer : "";
  byId("signed-key").textContent = current ? current.publicKey : "";
}

/**
 * Wire the key form; `changed` is called when the reviewer changes (to re-evaluate who may vote on what).
 * @param {() => void} changed
 */
export async function setupIdentity(changed) {
  const form = /** @type {HTMLFormElement} */ (byId("key-form"));
  const file = /** @type {HTMLInputElement} */ (byId("key-file"));
  const reviewer = /** @type {HTMLInputElement} */ (byId("reviewer-id"));
  const pem = /** @type {HTMLTextAreaElement} */ (byId("key-pem"));
  const remember = /** @type {HTMLInputElement} */ (byId("remember"));
  const status = byId("identity-status");

  // `airlock keys generate` names the file after the reviewer (percent-encoded): offer it as the id.
  file.addEventListener("change", () => {
    const name = file.files?.[0]?.name.replace(/\.(key|pem)$/, "");
    if (name && reviewer.value.trim() === "") {
      try {
        reviewer.value = decodeURIComponent(name);
      } catch {
        reviewer.value = name;
      }
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    const id = reviewer.value.trim();
    try {
      if (id === "") throw new Error("enter your reviewer id, as the reviewers file names you");
      const chosen = file.files?.[0];
      const text = chosen ? await chosen.text() : pem.value;
      if (text.trim() === "") throw new Error("choose your key file or paste the key");
      const { key, publicKey } = await importPrivateKey(text);
      current = { reviewer: id, key, publicKey };
      if (remember.checked) await saveIdentity(current);
      show();
      byId("forget").focus();
      changed();
    } catch (error) {
      status.textContent = `Key not loaded: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      pem.value = "";
      file.value = "";
    }
  });

  byId("forget").addEventListener("click", async () => {
    current = undefined;
    show();
    reviewer.focus();
    changed();
    await forgetIdentity().catch((error) => {
      status.textContent = `Could not forget the stored key: ${error instanceof Error ? error.message : String(error)}`;
    });
  });

  try {
    current = await loadIdentity();
  } catch (error) {
    status.textContent = `Stored key unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
  show();
}
