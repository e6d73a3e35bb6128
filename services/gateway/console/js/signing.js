// @ts-check
// Votes are signed here, in the browser, with WebCrypto Ed25519: the private key is imported as a
// non-extractable CryptoKey and never leaves this page. The signature covers the canonical JSON of the
// vote without its signature — exactly what packages/shared/src/votes/signature.ts verifies.
import { canonicalize } from "./canonical-json.js";

/** @typedef {{ vote_id: string, request_id: string, action_digest: string, reviewer: string, verdict: "approve" | "reject", comment?: string }} UnsignedVote */
/** @typedef {UnsignedVote & { signature: string }} SignedVote */

const PEM = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/;

/** @param {string} text */
function base64ToBytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** @param {Uint8Array} bytes */
function bytesToBase64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function subtle() {
  // WebCrypto exists only in a secure context: https://, or http://localhost and 127.0.0.1.
  if (!globalThis.crypto?.subtle)
    throw new Error("this page is not a secure context: open the console over https or on localhost");
  return globalThis.crypto.subtle;
}

/**
 * Import a reviewer's PKCS#8 PEM private key (what `airlock keys generate` writes) for signing only.
 * Returns the non-extractable key and the public key as the reviewers file writes it (`ed25519:<base64>`),
 * so the reviewer can check it is the one registered.
 * @param {string} pem
 * @returns {Promise<{ key: CryptoKey, publicKey: string }>}
 */
export async function importPrivateKey(pem) {
  if (/ENCRYPTED PRIVATE KEY/.test(pem))
    throw new Error("the key is encrypted; export it unencrypted (PKCS#8) to use it here");
  const match = PEM.exec(pem);
  if (!match?.[1]) throw new Error("not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
  const der = base64ToBytes(match[1].replace(/\s+/g, ""));
  let jwk;
  try {
    // Imported once extractable, only to read the public half (the JWK's `x`), then again for keeps.
    const readable = await subtle().importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
    jwk = await subtle().exportKey("jwk", readable);
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "NotSupportedError")
      throw new Error("this browser has no WebCrypto Ed25519 (Chrome 137+, Firefox 129+, Safari 17+)");
    throw new Error("not an Ed25519 private key", { cause: error });
  }
  const key = await subtle().importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  const x = String(jwk.x).replace(/-/g, "+").replace(/_/g, "/");
  const publicKey = `ed25519:${x}${"=".repeat((4 - (x.length % 4)) % 4)}`;
  return { key, publicKey };
}

/**
 * Sign a vote: Ed25519 over its canonical JSON; the signature is base64.
 * @param {UnsignedVote} vote
 * @param {CryptoKey} key
 * @returns {Promise<SignedVote>}
 */
export async function signVote(vote, key) {
  const bytes = new TextEncoder().encode(canonicalize(vote));
  const signature = new Uint8Array(await subtle().sign({ name: "Ed25519" }, key, bytes));
  return { ...vote, signature: bytesToBase64(signature) };
}

/**
 * `action_digest` of what the page shows: lowercase hex SHA-256 of the canonical `{agent_id, tool, args}`.
 * The page signs only when it equals the request's digest, so a reviewer never approves an action other
 * than the one displayed.
 * @param {{ agent: string, tool: string, args: unknown }} approval
 * @returns {Promise<string>}
 */
export async function actionDigest(approval) {
  const text = canonicalize({ agent_id: approval.agent, tool: approval.tool, args: approval.args });
  const hash = new Uint8Array(await subtle().digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(hash, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A new vote id. */
export function newVoteId() {
  return globalThis.crypto.randomUUID();
}
