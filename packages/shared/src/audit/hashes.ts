import { hash as oneShotHash } from "node:crypto";

/** Bytes in a SHA-256 hash: every leaf, node, chain and root hash of the audit log. */
export const HASH_BYTES = 32;

/** The `prev_hash` of a chain's first entry: 32 zero bytes. Shared: never write into it. */
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

/** The RFC 6962 root of an empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Buffer = sha256(Buffer.alloc(0));

// RFC 6962 §2.1 domain separation: a leaf can never be mistaken for an inner node (second preimages).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One-shot crypto.hash (Node ≥ 20.12; engines asks for ≥ 20.19) over bytes assembled in a scratch buffer:
// a verifier hashes three times per entry, and createHash()'s object and update() calls cost more than
// the SHA-256 of a 32- to 600-byte input itself (measured ~15–20% per hash). The scratch buffers are only
// read by the synchronous hash call, and every result is a new Buffer, so nothing returned aliases them.
const pair = Buffer.allocUnsafe(1 + 2 * HASH_BYTES);
const pairOfHashes = pair.subarray(0, 2 * HASH_BYTES);
const ENTRY_SCRATCH_BYTES = 16 * 1024;
const entryScratch = Buffer.allocUnsafe(ENTRY_SCRATCH_BYTES);

function sha256(data: Uint8Array): Buffer {
  return oneShotHash("sha256", data, "buffer");
}

/** `leaf_hash = SHA-256(0x00 ‖ entry)`, the entry being the canonical JSON of one event (UTF-8). */
export function leafHash(entry: Uint8Array | string): Buffer {
  if (typeof entry === "string") {
    // At most 3 UTF-8 bytes per UTF-16 code unit: a text that surely fits is encoded in place.
    if (entry.length * 3 < ENTRY_SCRATCH_BYTES) {
      entryScratch[0] = LEAF_PREFIX;
      const written = entryScratch.write(entry, 1, "utf8");
      return sha256(entryScratch.subarray(0, 1 + written));
    }
    entry = Buffer.from(entry, "utf8");
  }
  if (entry.byteLength < ENTRY_SCRATCH_BYTES) {
    entryScratch[0] = LEAF_PREFIX;
    entryScratch.set(entry, 1);
    return sha256(entryScratch.subarray(0, 1 + entry.byteLength));
  }
  return sha256(Buffer.concat([Buffer.of(LEAF_PREFIX), entry]));
}

/** An inner node of the Merkle tree: `SHA-256(0x01 ‖ left ‖ right)`. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.byteLength !== HASH_BYTES || right.byteLength !== HASH_BYTES) {
    return sha256(Buffer.concat([Buffer.of(NODE_PREFIX), left, right]));
  }
  pair[0] = NODE_PREFIX;
  pair.set(left, 1);
  pair.set(right, 1 + HASH_BYTES);
  return sha256(pair);
}

/** A link of the hash chain: `hash = SHA-256(prev_hash ‖ leaf_hash)`. */
export function chainHash(prevHash: Uint8Array, leaf: Uint8Array): Buffer {
  if (prevHash.byteLength !== HASH_BYTES || leaf.byteLength !== HASH_BYTES) {
    return sha256(Buffer.concat([prevHash, leaf]));
  }
  pair.set(prevHash, 0);
  pair.set(leaf, HASH_BYTES);
  return sha256(pairOfHashes);
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
