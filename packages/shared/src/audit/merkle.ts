import { EMPTY_ROOT, nodeHash } from "./hashes.js";

// Tree sizes go past 2^31 long before they reach 2^53, so sizes are halved with arithmetic, never with
// JavaScript's 32-bit shift operators.

/** A half-open range of leaf indices `[start, end)`: the leaves one Merkle subtree hash covers. */
export interface LeafRange {
  start: number;
  end: number;
}

/** The largest power of two smaller than `n` (n ≥ 2): where RFC 6962 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  if (!(n >= 2)) throw new RangeError(`splitPoint needs at least 2 leaves, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Whether `n` is a power of two (1, 2, 4 …). */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/**
 * `[start, end)` cut into perfect subtrees, left to right, each aligned to its own size (start is a
 * multiple of size) and as large as possible. For the ranges RFC 6962 proofs and frontiers use, sizes
 * decrease left to right, so folding the pieces' roots from the right gives the range's tree hash.
 */
export function perfectSubtrees(start: number, end: number): LeafRange[] {
  const pieces: LeafRange[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= end) size *= 2;
    pieces.push({ start: at, end: at + size });
    at += size;
  }
  return pieces;
}

/** Fold subtree roots from the right: `H(a, H(b, H(c, d)))`. Empty → the empty-tree root. */
export function foldRight(roots: readonly Uint8Array[]): Buffer {
  const last = roots.at(-1);
  if (last === undefined) return Buffer.from(EMPTY_ROOT);
  let acc: Buffer = Buffer.from(last);
  for (let i = roots.length - 2; i >= 0; i--) acc = nodeHash(roots[i]!, acc);
  return acc;
}

/**
 * The RFC 6962 Merkle Tree Hash (§2.1) of leaves `[start, end)` of `leafHashes`, straight from the
 * definition. The reference the faster code is tested against, and fine for small ranges.
 */
export function treeHash(leafHashes: readonly Uint8Array[], start = 0, end = leafHashes.length): Buffer {
  const n = end - start;
  if (n === 0) return Buffer.from(EMPTY_ROOT);
  if (n === 1) return Buffer.from(leafHashes[start]!);
  const k = splitPoint(n);
  return nodeHash(treeHash(leafHashes, start, start + k), treeHash(leafHashes, start + k, end));
}
