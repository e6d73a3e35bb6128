import { describe, expect, it } from "vitest";
import {
  MerkleFrontier,
  consistencyRanges,
  inclusionRanges,
  leafHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type LeafRange,
} from "@airlock/shared";

// Known-answer tests from transparency-dev/merkle, the Go reference implementation of RFC 6962 trees used
// by Certificate Transparency logs:
//   leaves and roots: testonly/constants.go (LeafInputs, RootHashes, NodeHashes)
//   audit paths and consistency proofs: testonly/reference_test.go (TestRefInclusionProof, TestRefConsistencyProof)
//   https://github.com/transparency-dev/merkle/blob/main/testonly/
// The same eight leaves appear in google/certificate-transparency's merkle_tree_test.cc.
const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(
  (hex) => Buffer.from(hex, "hex"),
);

const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const LEAF_HASHES = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
  "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
  "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
  "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
  "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
  "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
];

const INCLUSION: Array<{ index: number; size: number; path: string[] }> = [
  { index: 0, size: 1, path: [] },
  { index: 0, size: 2, path: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"] },
  { index: 1, size: 2, path: ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"] },
  { index: 2, size: 3, path: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1,
    size: 5,
    path: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    index: 0,
    size: 8,
    path: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

const CONSISTENCY: Array<{ size1: number; size2: number; proof: string[] }> = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
  },
];

const hashes = LEAVES.map((leaf) => leafHash(leaf));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Buffer => Buffer.from(h, "hex");
const hashRanges = (ranges: LeafRange[]): string[] => ranges.map((r) => hex(treeHash(hashes, r.start, r.end)));

describe("RFC 6962 known answers (transparency-dev/merkle)", () => {
  it("hashes leaves with the 0x00 prefix", () => {
    expect(hashes.map(hex)).toEqual(LEAF_HASHES);
  });

  it("computes the tree head of every size 0..8, by definition and with the frontier", () => {
    const frontier = MerkleFrontier.empty();
    expect(hex(frontier.root())).toBe(ROOTS[0]);
    for (let size = 1; size <= 8; size++) {
      expect(hex(treeHash(hashes, 0, size))).toBe(ROOTS[size]);
      frontier.push(hashes[size - 1]!);
      expect(hex(frontier.root())).toBe(ROOTS[size]);
    }
  });

  it.each(INCLUSION)(
    "generates and verifies the audit path of leaf $index in a tree of $size",
    ({ index, size, path }) => {
      expect(hashRanges(inclusionRanges(index, size))).toEqual(path);
      expect(verifyInclusion(hashes[index]!, index, size, path.map(bytes), bytes(ROOTS[size]!))).toBe(true);
    },
  );

  it.each(CONSISTENCY)("generates and verifies the consistency proof $size1 → $size2", ({ size1, size2, proof }) => {
    expect(hashRanges(consistencyRanges(size1, size2))).toEqual(proof);
    expect(verifyConsistency(size1, size2, proof.map(bytes), bytes(ROOTS[size1]!), bytes(ROOTS[size2]!))).toBe(true);
  });

  it("refuses a path for the wrong leaf, index or root", () => {
    const { index, size, path } = INCLUSION[6]!;
    const proof = path.map(bytes);
    expect(verifyInclusion(hashes[index + 1]!, index, size, proof, bytes(ROOTS[size]!))).toBe(false);
    expect(verifyInclusion(hashes[index]!, index - 1, size, proof, bytes(ROOTS[size]!))).toBe(false);
    expect(verifyInclusion(hashes[index]!, index, size, proof, bytes(ROOTS[size - 1]!))).toBe(false);
    expect(verifyInclusion(hashes[index]!, index, size, proof.slice(1), bytes(ROOTS[size]!))).toBe(false);
    expect(verifyInclusion(hashes[index]!, size, size, proof, bytes(ROOTS[size]!))).toBe(false);
  });

  it("refuses a consistency proof between unrelated trees or with a node changed", () => {
    const { size1, size2, proof } = CONSISTENCY[3]!;
    const good = proof.map(bytes);
    expect(verifyConsistency(size1, size2, good, bytes(ROOTS[size1 - 1]!), bytes(ROOTS[size2]!))).toBe(false);
    const bad = good.map((b) => Buffer.from(b));
    bad[1]![0]! ^= 1;
    expect(verifyConsistency(size1, size2, bad, bytes(ROOTS[size1]!), bytes(ROOTS[size2]!))).toBe(false);
    expect(verifyConsistency(size2, size1, good, bytes(ROOTS[size2]!), bytes(ROOTS[size1]!))).toBe(false);
  });
});
