import type { webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  actionDigest as sharedActionDigest,
  canonicalize as sharedCanonicalize,
  formatPublicKey,
  generateReviewerKeyPair,
  privateKeyPem,
  verifyVote,
  voteSigningBytes,
  type SignedVote,
  type UnsignedVote,
} from "@airlock/shared";

// The console's browser modules are plain ES modules (no build step); Node runs them as they are, with
// the same WebCrypto API the browser has, so they are checked here against the TypeScript they mirror.
type CryptoKey = webcrypto.CryptoKey;
interface CanonicalModule {
  canonicalize: (value: unknown) => string;
}
interface SigningModule {
  importPrivateKey: (pem: string) => Promise<{ key: CryptoKey; publicKey: string }>;
  signVote: (vote: UnsignedVote, key: CryptoKey) => Promise<SignedVote>;
  actionDigest: (approval: { agent: string; tool: string; args: unknown }) => Promise<string>;
}

const consoleModule = (name: string) => new URL(`../../services/gateway/console/js/${name}`, import.meta.url).href;
const browserCanonical = (await import(consoleModule("canonical-json.js"))) as CanonicalModule;
const browserSigning = (await import(consoleModule("signing.js"))) as SigningModule;

/** What either canonicalizer makes of a value: its text, or that it refused. */
function outcome(canonicalize: (value: unknown) => string, value: unknown): string {
  try {
    return canonicalize(value);
  } catch (error) {
    return `refused: ${(error as Error).constructor.name}`;
  }
}

describe("the console's canonical JSON", () => {
  it("writes exactly what the shared canonicalizer writes, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(browserCanonical.canonicalize(value)).toBe(sharedCanonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it("agrees on numbers, unicode, key order and what it refuses", () => {
    const samples: unknown[] = [
      { b: 1, a: [true, null, -0, 1e21, 5e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER] },
      { "\u20ac": 1, "\r": 2, "\ud83d\ude00": 3, a: "\u2028\u0007" },
      { skipped: undefined, kept: [undefined] },
      { bad: "\ud800" },
      { n: Number.NaN },
      [1n],
    ];
    for (const value of samples) {
      expect(outcome(browserCanonical.canonicalize, value)).toBe(outcome(sharedCanonicalize, value));
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.double(), (text, number) => {
        const value = { [text]: [text, number] };
        expect(outcome(browserCanonical.canonicalize, value)).toBe(outcome(sharedCanonicalize, value));
      }),
      { numRuns: 500 },
    );
  });
});

describe("the console's vote signing", () => {
  it("signs votes the approvals service verifies, over the same bytes", async () => {
    const pair = generateReviewerKeyPair();
    const { key, publicKey } = await browserSigning.importPrivateKey(privateKeyPem(pair.privateKey));
    expect(publicKey).toBe(formatPublicKey(pair.publicKey));
    expect(key.extractable).toBe(false);
    const reviewers = new Map([["alice@corp.example", pair.publicKey]]);
    const vote: UnsignedVote = {
      vote_id: "v-1",
      request_id: "r-1",
      action_digest: "a".repeat(64),
      reviewer: "alice@corp.example",
      verdict: "approve",
      comment: "Grüße — ok ✓",
    };
    const signed = await browserSigning.signVote(vote, key);
    expect(Buffer.from(browserCanonical.canonicalize(vote))).toEqual(voteSigningBytes(signed));
    expect(verifyVote(signed, reviewers)).toBe("valid");
    expect(verifyVote({ ...signed, verdict: "reject" }, reviewers)).toBe("bad_signature");
  });

  it("refuses what is not an unencrypted Ed25519 PKCS#8 key", async () => {
    await expect(browserSigning.importPrivateKey("hello")).rejects.toThrow(/not a PKCS#8 PEM/);
    await expect(
      browserSigning.importPrivateKey(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
      ),
    ).rejects.toThrow(/encrypted/);
  });

  it("computes the action digest the policy and approvals services compute", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.string(),
        fc.dictionary(fc.string(), fc.jsonValue()),
        async (agent, tool, args) => {
          expect(await browserSigning.actionDigest({ agent, tool, args })).toBe(
            sharedActionDigest({ agent_id: agent, tool, args }),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
