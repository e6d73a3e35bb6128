import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  formatPublicKey,
  generateReviewerKeyPair,
  parsePublicKey,
  parseReviewersFile,
  readReviewerKey,
  reviewersFileLine,
  signVote,
  verifyVote,
  writeReviewerKey,
  type UnsignedVote,
} from "@airlock/shared";

// Vote signing and the reviewers file (packages/shared/src/votes), as the approvals service relies on them.

const alice = generateReviewerKeyPair();
const bob = generateReviewerKeyPair();
const reviewers = parseReviewersFile(
  [
    reviewersFileLine("alice@corp.example", formatPublicKey(alice.publicKey)),
    reviewersFileLine("bob", formatPublicKey(bob.publicKey)),
  ].join("\n"),
);
const unsigned: UnsignedVote = {
  vote_id: "v1",
  request_id: "r1",
  action_digest: "c".repeat(64),
  reviewer: "alice@corp.example",
  verdict: "approve",
  comment: "looks right",
};

describe("vote signatures", () => {
  it("verifies a vote signed by its reviewer's key", () => {
    const vote = signVote(unsigned, alice.privateKey);
    expect(Buffer.from(vote.signature, "base64")).toHaveLength(64);
    expect(verifyVote(vote, reviewers)).toBe("valid");
  });

  it("covers the canonical JSON: key order does not matter, every field does", () => {
    const vote = signVote(unsigned, alice.privateKey);
    const reordered = Object.fromEntries(Object.entries(vote).reverse()) as typeof vote;
    expect(verifyVote(reordered, reviewers)).toBe("valid");
    for (const change of [
      { verdict: "reject" as const },
      { action_digest: "d".repeat(64) },
      { request_id: "r2" },
      { vote_id: "v2" },
      { comment: "looks wrong" },
      { comment: undefined },
    ]) {
      expect(verifyVote({ ...vote, ...change }, reviewers)).toBe("bad_signature");
    }
  });

  it("refuses another reviewer's key, garbage signatures and unknown reviewers", () => {
    const byBob = signVote(unsigned, bob.privateKey);
    expect(verifyVote(byBob, reviewers)).toBe("bad_signature");
    const vote = signVote(unsigned, alice.privateKey);
    expect(verifyVote({ ...vote, signature: "not base64!" }, reviewers)).toBe("bad_signature");
    expect(verifyVote({ ...vote, signature: Buffer.alloc(63).toString("base64") }, reviewers)).toBe("bad_signature");
    expect(verifyVote({ ...vote, reviewer: "mallory" }, reviewers)).toBe("unknown_reviewer");
  });
});

describe("reviewers file", () => {
  it("round-trips a public key through ed25519:<base64 raw key>", () => {
    const text = formatPublicKey(alice.publicKey);
    expect(text).toMatch(/^ed25519:[A-Za-z0-9+/]{43}=$/);
    const parsed = parsePublicKey(text);
    expect(parsed.ok && formatPublicKey(parsed.key)).toBe(text);
  });

  it("reports every bad entry with its line", () => {
    const text = [
      `alice: ${formatPublicKey(alice.publicKey)}`,
      "bob: rsa:AAAA",
      "carol: ed25519:AAAA",
      "dave: 42",
    ].join("\n");
    let error: unknown;
    try {
      parseReviewersFile(text, "reviewers.yaml");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split("\n");
    expect(lines).toEqual([
      'reviewers.yaml:2: bob: must start with "ed25519:"',
      "reviewers.yaml:3: carol: an Ed25519 public key is 32 bytes; this one is 3",
      'reviewers.yaml:4: dave: the key must be a string "ed25519:<base64 public key>"',
    ]);
  });

  it("refuses a document that is not a mapping, and accepts an empty one", () => {
    expect(() => parseReviewersFile("- alice\n")).toThrow(/must be a mapping/);
    expect(parseReviewersFile("").size).toBe(0);
  });
});

describe("key files", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("writes a private key readable by its owner only, reads it back, and never overwrites one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "airlock-keys-"));
    dirs.push(dir);
    const keys = join(dir, "keys");
    const path = await writeReviewerKey(keys, "alice@corp.example", alice.privateKey);
    expect(path).toBe(join(keys, "alice%40corp.example.key"));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const read = await readReviewerKey(keys, "alice@corp.example");
    expect(verifyVote(signVote(unsigned, read), reviewers)).toBe("valid");
    await expect(writeReviewerKey(keys, "alice@corp.example", bob.privateKey)).rejects.toThrow(/already exists/);
    await expect(readReviewerKey(keys, "nobody")).rejects.toThrow(/airlock keys generate --as nobody/);
  });
});
