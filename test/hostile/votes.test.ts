import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirlockApiError, approvalsApi, createReviewer, type ApprovalDetail, type ApprovalsApi } from "@airlock/client";
import { TOPICS, type SignedVote } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { verifyAuditLog } from "../../bench/soak/audit-log.js";
import { writeFigures } from "../faults/support/results.js";
import { envelope } from "./support/inputs.js";
import { DeadLetterWatch, embeddedTarget, type HostileTarget } from "./support/stacks.js";
import { Tally } from "./support/tally.js";

// Votes an attacker can make without a reviewer's private key, or with one but for the wrong thing:
// unsigned, forged, tampered, replayed, pointed at another request or another action, by the requester,
// by an outsider, twice. Each is refused — with a JSON error by the API, or as a recorded refusal with
// its reason by the approvals service — and none moves a request. Over the HTTP API and the broker.
describe("forged, replayed and unsigned votes", () => {
  let target: HostileTarget;
  let api: ApprovalsApi;
  let letters: DeadLetterWatch;
  /** Requested by dave: finance-admins, 2 of 3. */
  let byDave: ApprovalDetail;
  /** Requested by alice, a finance admin herself. */
  let byAlice: ApprovalDetail;
  const tally = new Tally();
  const category = "forged, replayed and unsigned votes";

  async function openRequest(user: string, amount: number): Promise<ApprovalDetail> {
    const response = await fetch(`${target.url()}/v1/tool-calls`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent_id: "vote-agent", tool: "transfer_funds", args: { amount }, context: { user } }),
    });
    const { call_id } = (await response.json()) as { call_id: string };
    let found: ApprovalDetail | undefined;
    await waitFor(async () => {
      const id = (await api.list({ limit: 500 })).find((a) => a.call_id === call_id)?.id;
      found = id === undefined ? undefined : await api.get(id);
      return found !== undefined;
    }, `the request of call ${call_id}`);
    return found!;
  }

  function sign(
    reviewer: string,
    request: Pick<ApprovalDetail, "id" | "action_digest">,
    verdict: "approve" | "reject" = "approve",
  ): SignedVote {
    return target.reviewers
      .get(reviewer)!
      .sign({ request_id: request.id, action_digest: request.action_digest, verdict });
  }

  async function post(vote: unknown, requestId: string): Promise<{ status: number; code?: string }> {
    try {
      await api.postVote({ ...(vote as SignedVote), request_id: requestId });
      return { status: 202 };
    } catch (error) {
      if (error instanceof AirlockApiError) return { status: error.status, code: error.code };
      throw error;
    }
  }

  async function expectRefused(request: ApprovalDetail, vote: SignedVote, reason: string): Promise<void> {
    await waitFor(
      async () => (await api.get(request.id)).refusals.some((r) => r.vote_id === vote.vote_id),
      `the refusal of vote ${vote.vote_id}`,
    );
    const refusal = (await api.get(request.id)).refusals.find((r) => r.vote_id === vote.vote_id);
    expect(refusal?.reason).toBe(reason);
    tally.record(category, "refused");
  }

  beforeAll(async () => {
    target = await embeddedTarget();
    api = approvalsApi({ url: target.url() });
    letters = await DeadLetterWatch.start(target.transport);
    byDave = await openRequest("dave@corp.example", 5001);
    byAlice = await openRequest("alice@corp.example", 5002);
  }, 120_000);

  afterAll(async () => {
    await writeFigures("hostile", "votes-embedded", { broker: "memory", ...tally.figures() });
    await letters?.close();
    await target?.stop();
  });

  it("refuses a vote without a signature, or with an empty one, at the API", async () => {
    const vote = sign("bob@corp.example", byDave);
    for (const bad of [
      { ...vote, signature: undefined },
      { ...vote, signature: "" },
    ]) {
      const answer = await post(bad, byDave.id);
      expect(answer).toMatchObject({ status: 400, code: "bad_request" });
      tally.record(category, "refused");
    }
  });

  it("refuses forged signatures: random bytes, another reviewer's key, a key nobody registered", async () => {
    const random = { ...sign("bob@corp.example", byDave), signature: Buffer.alloc(64, 7).toString("base64") };
    const bobAsAlice = { ...sign("bob@corp.example", byDave), reviewer: "alice@corp.example" };
    const { privateKey } = generateKeyPairSync("ed25519");
    const mallory = createReviewer("mallory@evil.example", privateKey).sign({
      request_id: byDave.id,
      action_digest: byDave.action_digest,
      verdict: "approve",
    });
    const impostor = createReviewer("carol@corp.example", privateKey).sign({
      request_id: byDave.id,
      action_digest: byDave.action_digest,
      verdict: "approve",
    });
    for (const vote of [random, bobAsAlice, impostor]) expect((await post(vote, byDave.id)).status).toBe(202);
    expect((await post(mallory, byDave.id)).status).toBe(202);
    await expectRefused(byDave, random, "bad_signature");
    await expectRefused(byDave, bobAsAlice, "bad_signature");
    await expectRefused(byDave, impostor, "bad_signature");
    await expectRefused(byDave, mallory, "unknown_reviewer");
  });

  it("refuses a signed vote changed after signing: its verdict, its comment, its request", async () => {
    const rejectTurnedApprove = { ...sign("carol@corp.example", byDave, "reject"), verdict: "approve" as const };
    const commented = { ...sign("carol@corp.example", byDave), comment: "added later" };
    expect((await post(rejectTurnedApprove, byDave.id)).status).toBe(202);
    expect((await post(commented, byDave.id)).status).toBe(202);
    await expectRefused(byDave, rejectTurnedApprove, "bad_signature");
    await expectRefused(byDave, commented, "bad_signature");
    // Re-aimed at another request: the body names a request the URL does not, or the signature no longer holds.
    const bobOnDave = sign("bob@corp.example", byDave);
    const answer = await post(bobOnDave, byAlice.id);
    expect(answer.status).toBe(202);
    await expectRefused(byAlice, { ...bobOnDave, request_id: byAlice.id }, "bad_signature");
    const mismatch = await fetch(`${target.url()}/v1/approvals/${byAlice.id}/votes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(bobOnDave),
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: { code: "request_mismatch" } });
    tally.record(category, "refused");
  });

  it("refuses a vote for another request's action, by the requester, and by an outsider to the pool", async () => {
    const otherDigest = sign("bob@corp.example", { id: byAlice.id, action_digest: byDave.action_digest });
    const selfApproval = sign("alice@corp.example", byAlice);
    const outsider = sign("olivia@corp.example", byDave);
    for (const [vote, request] of [
      [otherDigest, byAlice],
      [selfApproval, byAlice],
      [outsider, byDave],
    ] as const) {
      expect((await post(vote, request.id)).status).toBe(202);
    }
    await expectRefused(byAlice, otherDigest, "digest_mismatch");
    await expectRefused(byAlice, selfApproval, "self_approval");
    await expectRefused(byDave, outsider, "not_a_member");
  });

  it("counts a replayed vote once, refuses a second vote by the same reviewer, and any vote once resolved", async () => {
    const bob = sign("bob@corp.example", byDave);
    expect((await post(bob, byDave.id)).status).toBe(202);
    expect((await post(bob, byDave.id)).status).toBe(202);
    await waitFor(async () => (await api.get(byDave.id)).votes.length === 1, "bob's vote to count");
    const again = sign("bob@corp.example", byDave, "reject");
    expect((await post(again, byDave.id)).status).toBe(202);
    await expectRefused(byDave, again, "duplicate_vote");
    // The replay changed nothing: one vote, still pending, and no refusal for it either.
    const detail = await api.get(byDave.id);
    expect(detail.votes.map((v) => v.vote_id)).toEqual([bob.vote_id]);
    expect(detail.refusals.some((r) => r.vote_id === bob.vote_id)).toBe(false);
    expect(detail.state).toBe("pending");
    tally.record(category, "refused");
    const carol = sign("carol@corp.example", byDave);
    expect((await post(carol, byDave.id)).status).toBe(202);
    await waitFor(async () => (await api.get(byDave.id)).state === "approved", "the request approved by bob and carol");
    const late = sign("alice@corp.example", byDave, "reject");
    expect((await post(late, byDave.id)).status).toBe(202);
    await expectRefused(byDave, late, "already_resolved");
    expect((await api.get(byDave.id)).resolution).toMatchObject({ outcome: "approved", allowed: true });
  });

  it("refuses the same forgeries over the broker: unsigned is dead-lettered, forged is refused", async () => {
    const unsigned = envelope("airlock.vote.cast", { ...sign("bob@corp.example", byAlice), signature: undefined });
    await target.transport.publishRaw(TOPICS.votes, byAlice.id, JSON.stringify(unsigned));
    await waitFor(
      () =>
        ["approvals", "audit"].every((g) =>
          letters.letters.some((l) => l.data.consumer === g && l.data.raw.includes(unsigned["id"] as string)),
        ),
      "the unsigned vote dead-lettered by approvals and audit",
    );
    tally.record(category, "dead_lettered");
    const forged = { ...sign("bob@corp.example", byAlice), signature: Buffer.alloc(64, 9).toString("base64") };
    await target.transport.publishRaw(TOPICS.votes, byAlice.id, JSON.stringify(envelope("airlock.vote.cast", forged)));
    await expectRefused(byAlice, forged, "bad_signature");
  });

  it("left the requests moved only by valid votes, and the log intact", async () => {
    const alice = await api.get(byAlice.id);
    expect(alice.state).toBe("pending");
    expect(alice.votes).toEqual([]);
    const dave = await api.get(byDave.id);
    expect(dave.votes.map((v) => v.reviewer).sort()).toEqual(["bob@corp.example", "carol@corp.example"]);
    const verified = await verifyAuditLog(target.url());
    expect(verified.ok, JSON.stringify(verified.report)).toBe(true);
  });
});
