import { HASH_BYTES, nodeHash } from "./hashes.js";
import { foldRight } from "./merkle.js";

/** A perfect subtree completed while leaves are added: `2^level` leaves starting at `index · 2^level`. */
export interface CompletedNode {
  level: number;
  index: number;
  hash: Buffer;
}

/**
 * The compact Merkle frontier of an append-only log (a "compact range" over `[0, size)`): the roots of
 * the perfect subtrees that the binary digits of `size` cut the log into, largest first — at most
 * log2(size) hashes. Enough to add leaves and to compute the RFC 6962 root at any size, so roots over
 * millions of entries are computed in constant memory. Leaves are leaf hashes (`SHA-256(0x00 ‖ entry)`).
 */
export class MerkleFrontier {
  #size: number;
  readonly #nodes: Buffer[];

  private constructor(size: number, nodes: Buffer[]) {
    this.#size = size;
    this.#nodes = nodes;
  }

  /** The frontier of an empty log. */
  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /**
   * A frontier saved with {@link toBytes}: `size` and the concatenated subtree roots. Throws a RangeError
   * when the number of hashes is not the number of one bits of `size`.
   */
  static fromBytes(size: number, bytes: Uint8Array): MerkleFrontier {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad frontier size ${size}`);
    const expected = onesIn(size);
    if (bytes.byteLength !== expected * HASH_BYTES) {
      throw new RangeError(`a frontier of size ${size} holds ${expected} hashes, not ${bytes.byteLength / HASH_BYTES}`);
    }
    const nodes: Buffer[] = [];
    for (let i = 0; i < expected; i++) nodes.push(Buffer.from(bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
    return new MerkleFrontier(size, nodes);
  }

  /** Leaves added so far: the tree size. */
  get size(): number {
    return this.#size;
  }

  /**
   * Add the next leaf. `onNode` hears of every perfect subtree of two or more leaves that this leaf
   * completes (what a proof server caches).
   */
  push(leaf: Uint8Array, onNode?: (node: CompletedNode) => void): void {
    let hash: Buffer = Buffer.from(leaf);
    let level = 0;
    let rest = this.#size;
    // Adding 1 to `size` in binary: each trailing one bit is a subtree of the same size to merge with.
    while (rest % 2 === 1) {
      hash = nodeHash(this.#nodes.pop()!, hash);
      level++;
      rest = (rest - 1) / 2;
      onNode?.({ level, index: (this.#size + 1) / 2 ** level - 1, hash });
    }
    this.#nodes.push(hash);
    this.#size++;
  }

  /** The RFC 6962 tree hash of the leaves so far. */
  root(): Buffer {
    return foldRight(this.#nodes);
  }

  /** The frontier's hashes concatenated, largest subtree first: what {@link fromBytes} reads. */
  toBytes(): Buffer {
    return Buffer.concat(this.#nodes);
  }

  /**
   * The frontier of this log followed by another range of leaves: `right` is the frontier of those
   * leaves counted from their own start (its sizes and levels relative to it), as a worker that checked
   * the range `[size, size + right.size)` on its own computed it. Throws a RangeError unless this log's
   * size is a multiple of every subtree of `right` — their roots must be roots of this log's tree too,
   * which is why parallel verification splits a log at multiples of a power of two.
   */
  extend(right: MerkleFrontier): MerkleFrontier {
    const joined = this.clone();
    // right's nodes, largest first, are its subtrees of 2^level leaves for each one bit of its size.
    let node = 0;
    for (let level = Math.floor(Math.log2(right.size)); level >= 0; level--) {
      if (Math.floor(right.size / 2 ** level) % 2 === 1) joined.#pushSubtree(right.#nodes[node++]!, level);
    }
    return joined;
  }

  // Add a perfect subtree of 2^level leaves: push() one level up, merging with the subtrees it completes.
  #pushSubtree(root: Buffer, level: number): void {
    const leaves = 2 ** level;
    if (this.#size % leaves !== 0) {
      throw new RangeError(`a subtree of ${leaves} leaves cannot follow ${this.#size} leaves`);
    }
    let hash: Buffer = Buffer.from(root);
    for (let rest = this.#size / leaves; rest % 2 === 1; rest = (rest - 1) / 2)
      hash = nodeHash(this.#nodes.pop()!, hash);
    this.#nodes.push(hash);
    this.#size += leaves;
  }

  /** An independent copy. */
  clone(): MerkleFrontier {
    return new MerkleFrontier(
      this.#size,
      this.#nodes.map((node) => Buffer.from(node)),
    );
  }
}

function onesIn(n: number): number {
  let ones = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) ones += rest % 2;
  return ones;
}
