import { describe, expect, it } from "vitest";
import { cancel, decideVote, expire, openRequest, type RequestSnapshot, type VoteInput } from "../../src/core/index.js";

const DIGEST = "d".repeat(64);
const POOL = ["alice", "bob", "carol"];

function request(
  overrides: Partial<RequestSnapshot> = {},
  requirement: Partial<RequestSnapshot["requirement"]> = {},
): RequestSnapshot {
  return {
    state: "pending",
    requester: "dave",
    requirement: {
      reviewers: POOL,
      quorum: 2,
      veto: false,
      confirm_by_requester: false,
      on_timeout: "deny",
      ...requirement,
    },
    action_digest: DIGEST,
    expires_at_ms: 10_000,
    votes: [],
    ...overrides,
  };
}

function vote(
  reviewer: string,
  verdict: "approve" | "reject" = "approve",
  overrides: Partial<VoteInput> = {},
): VoteInput {
  return { vote_id: `${reviewer}-1`, reviewer, verdict, action_digest: DIGEST, ...overrides };
}

describe("decideVote", () => {
  it("counts a member's vote and approves at the quorum", () => {
    const first = decideVote(request(), vote("alice"), "valid", 0);
    expect(first).toEqual({
      kind: "counted",
      vote: { vote_id: "alice-1", reviewer: "alice", verdict: "approve", role: "pool" },
    });
    const second = decideVote(
      request({ votes: [{ vote_id: "alice-1", reviewer: "alice", verdict: "approve", role: "pool" }] }),
      vote("bob"),
      "valid",
      0,
    );
    expect(second.kind === "counted" && second.resolution).toMatchObject({
      outcome: "approved",
      allowed: true,
      decided_by: "approval",
      tally: { approvals: ["alice", "bob"], rejections: [], quorum: 2 },
    });
  });

  it("rejects when the quorum becomes unreachable (rejects > N − M), not before", () => {
    const one = decideVote(request(), vote("alice", "reject"), "valid", 0);
    expect(one.kind === "counted" && one.resolution).toBe(undefined);
    const two = decideVote(
      request({ votes: [{ vote_id: "a", reviewer: "alice", verdict: "reject", role: "pool" }] }),
      vote("bob", "reject"),
      "valid",
      0,
    );
    expect(two.kind === "counted" && two.resolution).toMatchObject({ outcome: "rejected", allowed: false });
  });

  it("rejects on the first reject under veto", () => {
    const decision = decideVote(request({}, { veto: true }), vote("carol", "reject"), "valid", 0);
    expect(decision.kind === "counted" && decision.resolution).toMatchObject({
      outcome: "rejected",
      reason: "vetoed by carol",
    });
  });

  it.each([
    ["not_found", undefined, vote("alice"), "valid"],
    ["unknown_reviewer", request(), vote("mallory"), "unknown_reviewer"],
    ["bad_signature", request(), vote("alice"), "bad_signature"],
    ["digest_mismatch", request(), vote("alice", "approve", { action_digest: "e".repeat(64) }), "valid"],
    ["already_resolved", request({ state: "approved" }), vote("alice"), "valid"],
    ["self_approval", request({}, { reviewers: [...POOL, "dave"] }), vote("dave"), "valid"],
    ["not_a_member", request(), vote("erin"), "valid"],
    [
      "duplicate_vote",
      request({ votes: [{ vote_id: "alice-0", reviewer: "alice", verdict: "reject", role: "pool" }] }),
      vote("alice"),
      "valid",
    ],
    ["awaiting_confirmation", request({}, { confirm_by_requester: true }), vote("alice"), "valid"],
  ] as const)("refuses with %s", (reason, snapshot, input, authenticity) => {
    const decision = decideVote(snapshot, input, authenticity, 0);
    expect(decision).toMatchObject({ kind: "refused", reason });
    expect(decision.kind === "refused" && decision.resolution).toBe(undefined);
  });

  it("ignores the same vote delivered again, even after the request resolved", () => {
    const counted = { vote_id: "alice-1", reviewer: "alice", verdict: "approve", role: "pool" } as const;
    expect(decideVote(request({ votes: [counted] }), vote("alice"), "valid", 0)).toEqual({ kind: "redelivered" });
    expect(decideVote(request({ state: "approved", votes: [counted] }), vote("alice"), "valid", 0)).toEqual({
      kind: "redelivered",
    });
  });

  it("expires a request whose time is up when a vote arrives before the sweeper", () => {
    const decision = decideVote(request(), vote("alice"), "valid", 10_000);
    expect(decision).toMatchObject({
      kind: "refused",
      reason: "already_resolved",
      resolution: { outcome: "expired", allowed: false, decided_by: "timeout" },
    });
  });

  it("takes the requester's confirmation first under confirm_by_requester", () => {
    const snapshot = request({}, { confirm_by_requester: true });
    const confirm = decideVote(snapshot, vote("dave"), "valid", 0);
    expect(confirm).toEqual({
      kind: "counted",
      vote: { vote_id: "dave-1", reviewer: "dave", verdict: "approve", role: "confirm" },
    });
    const confirmed = {
      ...snapshot,
      votes: [{ vote_id: "dave-1", reviewer: "dave", verdict: "approve" as const, role: "confirm" as const }],
    };
    expect(decideVote(confirmed, vote("alice"), "valid", 0)).toMatchObject({ kind: "counted", vote: { role: "pool" } });
    expect(decideVote(confirmed, vote("dave", "approve", { vote_id: "dave-2" }), "valid", 0)).toMatchObject({
      reason: "duplicate_vote",
    });
    const declined = decideVote(snapshot, vote("dave", "reject"), "valid", 0);
    expect(declined.kind === "counted" && declined.resolution).toMatchObject({
      outcome: "rejected",
      reason: "the requester dave declined to confirm",
    });
  });
});

describe("openRequest", () => {
  const requirement = {
    reviewers: POOL,
    quorum: 2,
    veto: false,
    confirm_by_requester: false,
    timeout_ms: 5_000,
    on_timeout: "deny" as const,
  };

  it("opens a pending request that expires after the timeout", () => {
    expect(
      openRequest({ requirement, requester: "dave", mode: "interactive", cancelled: false, now_ms: 1_000 }),
    ).toEqual({ expires_at_ms: 6_000 });
  });

  it("rejects an impossible requirement at once, with the reason", () => {
    const opening = openRequest({
      requirement: { ...requirement, quorum: 3 },
      requester: "alice",
      mode: "interactive",
      cancelled: false,
      now_ms: 0,
    });
    expect(opening.resolution).toMatchObject({ outcome: "rejected", allowed: false, decided_by: "approval" });
    expect(opening.resolution?.reason).toMatch(
      /quorum 3 exceeds the 2 eligible reviewer\(s\) \(the requester alice excluded\)/,
    );
    const nobody = openRequest({
      requirement: { ...requirement, confirm_by_requester: true },
      requester: null,
      mode: "interactive",
      cancelled: false,
      now_ms: 0,
    });
    expect(nobody.resolution?.reason).toMatch(/names no requester/);
  });

  it("resolves at once to on_timeout in headless mode", () => {
    const deny = openRequest({ requirement, requester: null, mode: "headless", cancelled: false, now_ms: 0 });
    expect(deny.resolution).toMatchObject({ outcome: "expired", allowed: false, decided_by: "timeout" });
    const allow = openRequest({
      requirement: { ...requirement, on_timeout: "allow" },
      requester: null,
      mode: "headless",
      cancelled: false,
      now_ms: 0,
    });
    expect(allow.resolution).toMatchObject({ outcome: "expired", allowed: true, decided_by: "timeout" });
  });

  it("opens an already cancelled call cancelled", () => {
    const opening = openRequest({ requirement, requester: null, mode: "headless", cancelled: true, now_ms: 0 });
    expect(opening.resolution).toMatchObject({ outcome: "cancelled", allowed: false });
  });
});

describe("expire and cancel", () => {
  it("expire resolves a pending request at its expiry to on_timeout, and nothing else", () => {
    expect(expire(request(), 9_999)).toBe(undefined);
    expect(expire(request(), 10_000)).toMatchObject({ outcome: "expired", allowed: false, decided_by: "timeout" });
    expect(expire(request({}, { on_timeout: "allow" }), 10_000)).toMatchObject({ allowed: true });
    expect(expire(request({ state: "approved" }), 99_999)).toBe(undefined);
  });

  it("cancel ends a pending request denied, and leaves a resolved one alone", () => {
    expect(cancel(request(), "user aborted")).toMatchObject({
      outcome: "cancelled",
      allowed: false,
      reason: "user aborted",
    });
    expect(cancel(request({ state: "rejected" }), undefined)).toBe(undefined);
  });
});
