import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideVote, openRequest, type CountedVote, type RequestSnapshot, type Verdict } from "../../src/core/index.js";

// The quorum core against a reference tally written differently: the core folds votes one at a time
// through its checks; the reference looks at each prefix of the authentic votes and takes each eligible
// reviewer's first vote in it. For random pools, requesters, M, veto, confirmation and vote sequences
// (with forgeries, wrong digests, outsiders, duplicates and redeliveries) they must agree.

const NAMES = ["r0", "r1", "r2", "r3", "r4", "r5", "r6"] as const;
const DIGEST = "a".repeat(64);
const OTHER_DIGEST = "b".repeat(64);

interface VoteSpec {
  reviewer: string;
  verdict: Verdict;
  wrongDigest: boolean;
  /** When set, this is a redelivery of the vote at (index mod the votes so far). */
  replayOf: number | null;
}

interface Scenario {
  pool: string[];
  requester: string | null;
  quorum: number;
  veto: boolean;
  confirm: boolean;
  votes: VoteSpec[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  pool: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 6 }),
  requester: fc.option(fc.constantFrom(...NAMES, "outsider"), { nil: null }),
  quorum: fc.integer({ min: 1, max: 7 }),
  veto: fc.boolean(),
  confirm: fc.boolean(),
  votes: fc.array(
    fc.record({
      reviewer: fc.constantFrom(...NAMES, "outsider"),
      verdict: fc.constantFrom<Verdict>("approve", "approve", "reject"),
      wrongDigest: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      replayOf: fc.option(fc.nat(), { nil: null, freq: 6 }),
    }),
    { maxLength: 24 },
  ),
});

interface VoteEvent {
  vote_id: string;
  reviewer: string;
  verdict: Verdict;
  action_digest: string;
  forged: boolean;
}

/**
 * The concrete votes of a scenario: ids assigned, redeliveries copied from the vote they repeat, and
 * every `forgedEvery`-th vote a forgery (0: none).
 */
function materialise(s: Scenario, forgedEvery: number): VoteEvent[] {
  const out: VoteEvent[] = [];
  s.votes.forEach((spec, i) => {
    if (spec.replayOf !== null && out.length > 0) {
      out.push({ ...out[spec.replayOf % out.length]! });
      return;
    }
    out.push({
      vote_id: `v${i}`,
      reviewer: spec.reviewer,
      verdict: spec.verdict,
      action_digest: spec.wrongDigest ? OTHER_DIGEST : DIGEST,
      forged: forgedEvery > 0 && i % forgedEvery === forgedEvery - 1,
    });
  });
  return out;
}

type Result = { outcome: "pending" | "approved" | "rejected"; approvals: string[] };

/** The core, as the store drives it: each counted vote appended, a resolution ends the request. */
function runCore(s: Scenario, votes: VoteEvent[]): Result & { countedAfterResolution: number; counted: CountedVote[] } {
  const requirement = {
    reviewers: s.pool,
    quorum: s.quorum,
    veto: s.veto,
    confirm_by_requester: s.confirm,
    on_timeout: "deny" as const,
  };
  const opening = openRequest({
    requirement: { ...requirement, timeout_ms: 60_000 },
    requester: s.requester,
    mode: "interactive",
    cancelled: false,
    now_ms: 0,
  });
  let request: RequestSnapshot = {
    state: opening.resolution ? opening.resolution.outcome : "pending",
    requester: s.requester,
    requirement,
    action_digest: DIGEST,
    expires_at_ms: opening.expires_at_ms,
    votes: [],
  };
  let countedAfterResolution = 0;
  for (const vote of votes) {
    const decision = decideVote(request, vote, vote.forged ? "bad_signature" : "valid", 1);
    if (decision.kind !== "counted") continue;
    if (request.state !== "pending") countedAfterResolution++;
    request = { ...request, votes: [...request.votes, decision.vote] };
    if (decision.resolution) request = { ...request, state: decision.resolution.outcome };
  }
  const approvals = request.votes.filter((v) => v.role === "pool" && v.verdict === "approve").map((v) => v.reviewer);
  const outcome = request.state === "pending" ? "pending" : request.state === "approved" ? "approved" : "rejected";
  return { outcome, approvals, countedAfterResolution, counted: [...request.votes] };
}

/** The reference: DESIGN.md's rules, read literally, over prefixes of the authentic votes. */
function reference(s: Scenario, votes: VoteEvent[]): Result {
  const eligible = new Set(s.pool.filter((r) => r !== s.requester));
  if (s.quorum > eligible.size || (s.confirm && s.requester === null)) return { outcome: "rejected", approvals: [] };
  const valid = votes.filter((v) => !v.forged && v.action_digest === DIGEST);
  let start = 0;
  if (s.confirm) {
    const i = valid.findIndex((v) => v.reviewer === s.requester);
    if (i < 0) return { outcome: "pending", approvals: [] };
    if (valid[i]!.verdict === "reject") return { outcome: "rejected", approvals: [] };
    start = i + 1;
  }
  for (let k = start + 1; k <= valid.length; k++) {
    const first = new Map<string, Verdict>();
    for (const v of valid.slice(start, k))
      if (eligible.has(v.reviewer) && !first.has(v.reviewer)) first.set(v.reviewer, v.verdict);
    const approvals = [...first].filter(([, verdict]) => verdict === "approve").map(([r]) => r);
    const rejections = [...first].filter(([, verdict]) => verdict === "reject").length;
    if (approvals.length >= s.quorum) return { outcome: "approved", approvals };
    if (s.veto && rejections >= 1) return { outcome: "rejected", approvals };
    if (rejections > eligible.size - s.quorum) return { outcome: "rejected", approvals };
  }
  return { outcome: "pending", approvals: [] };
}

describe("quorum core (property-based)", { timeout: 30_000 }, () => {
  const runs = { numRuns: 1000 };

  it("reaches the outcome of the reference tally", () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 5 }), (s, forgedEvery) => {
        const votes = materialise(s, forgedEvery);
        const core = runCore(s, votes);
        const ref = reference(s, votes);
        expect(core.outcome).toBe(ref.outcome);
        if (ref.outcome === "approved") expect(new Set(core.approvals)).toEqual(new Set(ref.approvals));
      }),
      runs,
    );
  });

  it("never approves with fewer than M distinct eligible approvals", () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 5 }), (s, forgedEvery) => {
        const votes = materialise(s, forgedEvery);
        const core = runCore(s, votes);
        if (core.outcome !== "approved") return;
        const eligible = new Set(s.pool.filter((r) => r !== s.requester));
        const approvers = new Set(core.approvals);
        expect(approvers.size).toBe(core.approvals.length);
        expect(approvers.size).toBeGreaterThanOrEqual(s.quorum);
        for (const reviewer of approvers) expect(eligible.has(reviewer)).toBe(true);
        // Every counted approval is a real, correctly addressed vote of that reviewer.
        for (const reviewer of approvers) {
          expect(
            votes.some(
              (v) => v.reviewer === reviewer && !v.forged && v.verdict === "approve" && v.action_digest === DIGEST,
            ),
          ).toBe(true);
        }
      }),
      runs,
    );
  });

  it("counts no vote once the request is resolved, and at most one vote per reviewer", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const core = runCore(s, materialise(s, 0));
        expect(core.countedAfterResolution).toBe(0);
        const reviewers = core.counted.map((v) => v.reviewer);
        expect(new Set(reviewers).size).toBe(reviewers.length);
      }),
      runs,
    );
  });
});
