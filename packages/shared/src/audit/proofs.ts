import { nodeHash, sameHash } from "./hashes.js";
import { isPowerOfTwo, splitPoint, type LeafRange } from "./merkle.js";

// RFC 6962 §2.1.1 (audit paths) and §2.1.2 (consistency proofs), with the verification algorithms of
// RFC 9162 §2.1.3.2 and §2.1.4.2. A proof is a list of subtree hashes; generating one is saying WHICH
// subtrees (ranges of leaves) it needs — the caller hashes them from wherever its leaves live (memory,
// a database with a subtree cache) — so generation here stays pure and storage-agnostic.

/** The subtrees whose hashes form the audit path of leaf `index` in a tree of `size` leaves, bottom-up. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  }
  const ranges: LeafRange[] = [];
  const path = (start: number, end: number): void => {
    if (end - start <= 1) return;
    const k = splitPoint(end - start);
    if (index < start + k) {
      path(start, start + k);
      ranges.push({ start: start + k, end });
    } else {
      path(start + k, end);
      ranges.push({ start, end: start + k });
    }
  };
  path(0, size);
  return ranges;
}

/**
 * The subtrees whose hashes form the consistency proof from a tree of `size1` leaves to one of `size2`
 * (RFC 6962 §2.1.2 SUBPROOF). Empty when size1 is 0 or equals size2.
 */
export function consistencyRanges(size1: number, size2: number): LeafRange[] {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2) {
    throw new RangeError(`no consistency proof from ${size1} leaves to ${size2}`);
  }
  const ranges: LeafRange[] = [];
  // `m` leaves of the old tree lie in [start, end); `whole` says the old root is this subtree itself.
  const subproof = (m: number, start: number, end: number, whole: boolean): void => {
    if (m === end - start) {
      if (!whole) ranges.push({ start, end });
      return;
    }
    const k = splitPoint(end - start);
    if (m <= k) {
      subproof(m, start, start + k, whole);
      ranges.push({ start: start + k, end });
    } else {
      subproof(m - k, start + k, end, false);
      ranges.push({ start, end: start + k });
    }
  };
  if (size1 > 0 && size1 < size2) subproof(size1, 0, size2, true);
  return ranges;
}

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

/** The root an audit path leads to from a leaf (RFC 9162 §2.1.3.2), or undefined when the path cannot fit. */
export function rootFromInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
): Buffer | undefined {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) return undefined;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // A right-edge node with no right sibling at these levels: climb until there is one.
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : undefined;
}

/** Whether `path` proves that `leaf` is leaf `index` of the tree of `size` leaves with this root. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusion(leaf, index, size, path);
  return computed !== undefined && sameHash(computed, root);
}

/**
 * Whether `proof` shows that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2`
 * leaves with `root2` (RFC 9162 §2.1.4.2). Every tree is consistent with the empty tree.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && sameHash(root1, root2);
  if (size1 === 0) return proof.length === 0;
  // When the old tree is a perfect subtree of the new one its root is the proof's implicit first node.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  const first = path[0];
  if (first === undefined) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(first);
  let sr: Buffer = Buffer.from(first);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, root1) && sameHash(sr, root2);
}
