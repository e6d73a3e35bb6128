import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MerkleFrontier,
  consistencyRanges,
  inclusionRanges,
  leafHash,
  perfectSubtrees,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type CompletedNode,
  type LeafRange,
} from "@airlock/shared";

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(`entry ${i}`));
// Memoised: the reference definition is O(n) per range, and the properties ask for many ranges.
const memo = new Map<string, Buffer>();
const rangeHash = (r: LeafRange): Buffer => {
  const key = `${r.start}:${r.end}`;
  let hash = memo.get(key);
  if (!hash) memo.set(key, (hash = treeHash(leaves, r.start, r.end)));
  return hash;
};
const rootOf = (size: number): Buffer => rangeHash({ start: 0, end: size });

describe("compact Merkle frontier", () => {
  it("gives the RFC 6962 root at every size, and reports each completed subtree once, correctly", () => {
    const frontier = MerkleFrontier.empty();
    const nodes: CompletedNode[] = [];
    for (let size = 1; size <= leaves.length; size++) {
      frontier.push(leaves[size - 1]!, (node) => nodes.push(node));
      expect(frontier.root().equals(treeHash(leaves, 0, size))).toBe(true);
    }
    // Every perfect subtree of 2..256 leaves inside 300 leaves: 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1.
    expect(nodes).toHaveLength(296);
    for (const node of nodes) {
      const size = 2 ** node.level;
      expect(node.hash.equals(treeHash(leaves, node.index * size, (node.index + 1) * size))).toBe(true);
    }
  });

  it("survives a round trip through bytes, and refuses bytes of the wrong length", () => {
    const frontier = MerkleFrontier.empty();
    for (const leaf of leaves.slice(0, 77)) frontier.push(leaf);
    const restored = MerkleFrontier.fromBytes(77, frontier.toBytes());
    restored.push(leaves[77]!);
    expect(restored.root().equals(treeHash(leaves, 0, 78))).toBe(true);
    expect(() => MerkleFrontier.fromBytes(79, frontier.toBytes())).toThrow(RangeError);
  });

  it("joins a log's frontier with a range's own frontier when the log ends on the range's alignment", () => {
    const frontierOf = (start: number, end: number): MerkleFrontier => {
      const frontier = MerkleFrontier.empty();
      for (let i = start; i < end; i++) frontier.push(leaves[i]!);
      return frontier;
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.nat(40), fc.nat(300), (k, blocks, length) => {
        const start = Math.min(blocks * 2 ** k, 300);
        const end = Math.min(start + Math.min(length, 2 ** k), 300);
        const joined = frontierOf(0, start).extend(frontierOf(start, end));
        expect(joined.size).toBe(end);
        expect(joined.root().equals(rootOf(end))).toBe(true);
        expect(joined.toBytes().equals(frontierOf(0, end).toBytes())).toBe(true);
      }),
    );
    // A range whose subtrees straddle the log's own: 3 leaves, then a range holding a pair.
    expect(() => frontierOf(0, 3).extend(frontierOf(3, 5))).toThrow(RangeError);
  });

  it("cuts aligned ranges into decreasing perfect subtrees", () => {
    expect(perfectSubtrees(0, 7)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 6 },
      { start: 6, end: 7 },
    ]);
    expect(perfectSubtrees(256, 300).map((p) => p.end - p.start)).toEqual([32, 8, 4]);
  });
});

describe("RFC 6962 proofs over random trees", () => {
  it("every audit path verifies, and fails for any other leaf or size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), (size, pick) => {
        const index = pick % size;
        const path = inclusionRanges(index, size).map(rangeHash);
        const root = rootOf(size);
        expect(verifyInclusion(leaves[index]!, index, size, path, root)).toBe(true);
        if (size > 1) expect(verifyInclusion(leaves[(index + 1) % size]!, index, size, path, root)).toBe(false);
        if (size < 300) expect(verifyInclusion(leaves[index]!, index, size + 1, path, rootOf(size + 1))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("every consistency proof verifies, and fails against a different old root", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), (size2, pick) => {
        const size1 = 1 + (pick % size2);
        const proof = consistencyRanges(size1, size2).map(rangeHash);
        const [root1, root2] = [rootOf(size1), rootOf(size2)];
        expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
        if (size1 > 1)
          expect(verifyConsistency(size1, size2, proof, treeHash(leaves, 1, size1 + 1), root2)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("an audit path is at most ceil(log2(size)) hashes", () => {
    expect(inclusionRanges(123_456, 1_000_000)).toHaveLength(20);
    expect(consistencyRanges(999_999, 1_000_000).length).toBeLessThanOrEqual(2 * 20);
    expect(() => inclusionRanges(5, 5)).toThrow(RangeError);
    expect(() => consistencyRanges(6, 5)).toThrow(RangeError);
  });
});
