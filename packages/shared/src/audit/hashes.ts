import { createHash } from "node:crypto";

/** Bytes in a SHA-256 hash: every leaf, node, chain and root hash of the audit log. */
export const HASH_BYTES = 32;

/** The `prev_hash` of a chain's first entry: 32 zero bytes. Shared: never write into it. */
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

/** The RFC 6962 root of an empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Buffer = createHash("sha256").digest();

// RFC 6962 §2.1 domain separation: a leaf can never be mistaken for an inner node (second preimages).
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** `leaf_hash = SHA-256(0x00 ‖ entry)`, the entry being the canonical JSON of one event (UTF-8). */
export function leafHash(entry: Uint8Array | string): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(entry).digest();
}

/** An inner node of the Merkle tree: `SHA-256(0x01 ‖ left ‖ right)`. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/** A link of the hash chain: `hash = SHA-256(prev_hash ‖ leaf_hash)`. */
export function chainHash(prevHash: Uint8Array, leaf: Uint8Array): Buffer {
  return createHash("sha256").update(prevHash).update(leaf).digest();
}

/** Whether two hashes are the same bytes. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** The bytes of a 64-character lowercase hex hash, or undefined when the text is not one. */
export function hashFromHex(hex: string): Buffer | undefined {
  return HEX_HASH.test(hex) ? Buffer.from(hex, "hex") : undefined;
}

/** A hash as lowercase hex, the form every API and event uses. */
export function hashToHex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString("hex");
}
