import { describe, expect, it } from "vitest";
import {
  canonicalId,
  formatPublicKey,
  generateReviewerKeyPair,
  parseReviewersFile,
  reviewersFileLine,
  sameId,
} from "../src/index.js";

describe("principal ids", () => {
  it("compare without case, surrounding white space or Unicode normal form", () => {
    expect(sameId("Alice@Corp.example", " alice@corp.example\u00a0")).toBe(true);
    expect(sameId("zo\u00eb", "ZOE\u0308")).toBe(true);
    expect(sameId("alice", "alicia")).toBe(false);
    expect(canonicalId("\tBob ")).toBe("bob");
  });

  it("name nobody when absent: a call without context.user has no requester to match", () => {
    expect(sameId(null, "null")).toBe(false);
    expect(sameId(undefined, "")).toBe(false);
    expect(sameId("", null)).toBe(false);
  });

  it("are one reviewer in a reviewers file: two spellings of one id are an error naming both", () => {
    const key = formatPublicKey(generateReviewerKeyPair().publicKey);
    const other = formatPublicKey(generateReviewerKeyPair().publicKey);
    const text = [reviewersFileLine("alice@corp.example", key), reviewersFileLine("Alice@Corp.example", other)].join(
      "\n",
    );
    expect(() => parseReviewersFile(text, "reviewers.yaml")).toThrow(
      /reviewers\.yaml:2: Alice@Corp\.example: the same reviewer as alice@corp\.example/,
    );
  });
});
