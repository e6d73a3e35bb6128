import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalBytes } from "../canonical-json.js";
import type { EventData } from "../events/registry.js";
import { formatPublicKey, parsePublicKey } from "../votes/keys.js";

/**
 * A signed checkpoint: the RFC 6962 tree head over the first `tree_size` entries of a chain, the chain's
 * `head_hash` after them, the time and the signer's key id, and an Ed25519 signature (base64) — exactly
 * the data of an `airlock.audit.checkpoint` event.
 */
export type SignedCheckpoint = EventData<"airlock.audit.checkpoint">;

/** A checkpoint before it is signed. */
export type UnsignedCheckpoint = Omit<SignedCheckpoint, "signature">;

/** What checking a checkpoint's signature found. */
export type SignatureCheck = "valid" | "wrong_key" | "bad_signature";

/**
 * The bytes a checkpoint's signature covers: the RFC 8785 canonical JSON of its six signed fields. They
 * are picked by name, so fields a server adds around a checkpoint (its `public_key`) are never signed over.
 */
export function checkpointSigningBytes(checkpoint: UnsignedCheckpoint): Buffer {
  const { chain, tree_size, root_hash, head_hash, signed_at, key_id } = checkpoint;
  return canonicalBytes({ chain, tree_size, root_hash, head_hash, signed_at, key_id });
}

/**
 * The id of an audit signing key: the first 16 bytes (32 hex characters) of SHA-256 over its raw 32-byte
 * Ed25519 public key. Names the key in every checkpoint, so a verifier holding several keys picks the right one.
 */
export function auditKeyId(publicKey: KeyObject): string {
  const raw = Buffer.from(formatPublicKey(publicKey).slice("ed25519:".length), "base64");
  return createHash("sha256").update(raw).digest("hex").slice(0, 32);
}

/** Sign a checkpoint with the audit service's Ed25519 private key. */
export function signCheckpoint(checkpoint: UnsignedCheckpoint, privateKey: KeyObject): SignedCheckpoint {
  // Ed25519 hashes internally: node:crypto takes a null algorithm.
  const signature = sign(null, checkpointSigningBytes(checkpoint), privateKey).toString("base64");
  return { ...pick(checkpoint), signature };
}

/**
 * Check a checkpoint against a public key: `wrong_key` when it names another key, `bad_signature` when
 * the signature is not that key's over exactly these fields.
 */
export function verifyCheckpointSignature(checkpoint: SignedCheckpoint, publicKey: KeyObject): SignatureCheck {
  if (checkpoint.key_id !== auditKeyId(publicKey)) return "wrong_key";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(checkpoint.signature)) return "bad_signature";
  const signature = Buffer.from(checkpoint.signature, "base64");
  // An Ed25519 signature is 64 bytes; anything else is refused before it reaches OpenSSL.
  if (signature.byteLength !== 64) return "bad_signature";
  return verify(null, checkpointSigningBytes(checkpoint), publicKey, signature) ? "valid" : "bad_signature";
}

/**
 * An audit public key from `ed25519:<base64 raw key>` (the form served and printed) or a PEM
 * (SPKI public key, or a private key whose public half is meant). Throws a TypeError saying why not.
 */
export function parseAuditPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: trimmed, format: "pem" });
    } catch (error) {
      throw new TypeError("not a PEM public key", { cause: error });
    }
    if (key.asymmetricKeyType !== "ed25519") throw new TypeError(`not an Ed25519 key (${key.asymmetricKeyType})`);
    return key;
  }
  const parsed = parsePublicKey(trimmed);
  if (!parsed.ok) throw new TypeError(`not an audit public key: ${parsed.reason}`);
  return parsed.key;
}

function pick(checkpoint: UnsignedCheckpoint): UnsignedCheckpoint {
  const { chain, tree_size, root_hash, head_hash, signed_at, key_id } = checkpoint;
  return { chain, tree_size, root_hash, head_hash, signed_at, key_id };
}
