import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  approvalsApi,
  createReviewer,
  digestMatches,
  loadReviewer,
  publishVote,
  AirlockApiError,
  type ApprovalsApi,
} from "@airlock/client";
import { createHttpServer, createMetrics, silentLogger, writeReviewerKey } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { approvalRoutes } from "../src/index.js";
import {
  escalation,
  handled,
  keyOf,
  onlyVerdict,
  open,
  startDeployment,
  voteEvent,
  type Deployment,
} from "./support/index.js";

// The approvals routes of the HTTP API and the reviewer SDK that uses them, against a running service.

describe("approvals HTTP API and reviewer SDK", () => {
  let d: Deployment;
  let app: FastifyInstance;
  let api: ApprovalsApi;
  let keysDir: string;
  beforeAll(async () => {
    d = await startDeployment({ brokerUrl: "memory://" });
    app = await createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics(),
      routes: [approvalRoutes({ sql: d.sql, transport: d.transport })],
    });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    api = approvalsApi({ url: address });
    keysDir = await mkdtemp(join(tmpdir(), "airlock-keys-"));
    await writeReviewerKey(keysDir, "alice", keyOf("alice"));
  });
  afterAll(async () => {
    await app?.close();
    await d?.stop();
    if (keysDir) await rm(keysDir, { recursive: true, force: true });
  });

  it("pages the listing newest first with a cursor, and refused votes a page at a time", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await open(d, escalation({ timeout_ms: 600_000 })));
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    type Page = { approvals: Array<{ id: string }>; next_before: string | null };
    const first = (await (await fetch(`${base}/v1/approvals?limit=2`)).json()) as Page;
    expect(first.approvals.map((a) => a.id)).toEqual([ids[2], ids[1]]);
    expect(first.next_before).toEqual(expect.any(String));
    const second = (await (await fetch(`${base}/v1/approvals?limit=2&before=${first.next_before!}`)).json()) as Page;
    expect(second.approvals[0]!.id).toBe(ids[0]);
    const bad = await fetch(`${base}/v1/approvals?before=not-a-cursor`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "bad_request" } });

    // Three votes from someone outside the pool: three refusals, read two and one.
    const call = escalation({ timeout_ms: 600_000 });
    const id = await open(d, call);
    const votes = [0, 1, 2].map(() => voteEvent(id, call.action_digest, "erin", "approve"));
    for (const vote of votes) await d.transport.publish(vote);
    await handled(d, votes);
    type Refusals = { refusals: Array<{ vote_id: string }>; total: number; next_after: number | null };
    const page = (await (await fetch(`${base}/v1/approvals/${id}/refusals?limit=2`)).json()) as Refusals;
    expect(page.total).toBe(3);
    expect(page.refusals).toHaveLength(2);
    const rest = (await (
      await fetch(`${base}/v1/approvals/${id}/refusals?limit=2&after=${page.next_after!}`)
    ).json()) as Refusals;
    expect(rest).toMatchObject({ total: 3, next_after: null });
    expect([...page.refusals, ...rest.refusals].map((r) => r.vote_id).sort()).toEqual(
      votes.map((v) => v.data.vote_id).sort(),
    );
    const detail = (await (await fetch(`${base}/v1/approvals/${id}`)).json()) as Refusals & { refusals_total: number };
    expect(detail).toMatchObject({ refusals_total: 3, refusals_next_after: null });
  });

  it("lists pending requests with what a reviewer needs to decide", async () => {
    const call = escalation({ timeout_ms: 600_000 });
    const id = await open(d, call);
    const listed = await api.list({ state: "pending" });
    const mine = listed.find((approval) => approval.id === id);
    expect(mine).toMatchObject({
      call_id: call.call_id,
      state: "pending",
      agent: call.agent_id,
      tool: "payments.transfer",
      args: { amount: 5000, to: "acct-42" },
      requester: "dave",
      rule: "large-transfer",
      reason: "Transfers over 1000 need two finance admins",
      votes: [],
      tally: { approvals: 0, rejections: 0, quorum: 2 },
      resolution: null,
    });
    expect(mine!.time_left_ms).toBeGreaterThan(500_000);
    expect(mine!.time_left_ms).toBeLessThanOrEqual(600_000);
    expect(digestMatches(mine!)).toBe(true);
    expect(digestMatches({ ...mine!, args: { amount: 9999, to: "acct-42" } })).toBe(false);
    expect((await api.list({ state: "approved" })).some((approval) => approval.id === id)).toBe(false);
  });

  it("takes a signed vote over HTTP, and shows votes and refusals so far", async () => {
    const call = escalation();
    const id = await open(d, call);
    const alice = await loadReviewer({ reviewer: "alice", keysDir });
    const accepted = await api.postVote(
      alice.sign({ request_id: id, action_digest: call.action_digest, verdict: "approve", comment: "ok" }),
    );
    expect(accepted.request_id).toBe(id);
    // A vote signed with someone else's key is accepted by the API and refused by the service.
    const forged = createReviewer("bob", keyOf("erin")).sign({
      request_id: id,
      action_digest: call.action_digest,
      verdict: "approve",
    });
    await api.postVote(forged);
    await handled(d, [{ id: accepted.event_id }]);
    await waitFor(async () => (await api.get(id)).refusals.length > 0, "the forged vote's refusal");
    const detail = await api.get(id);
    expect(detail.votes).toMatchObject([{ reviewer: "alice", verdict: "approve", role: "pool", comment: "ok" }]);
    expect(detail.refusals).toMatchObject([{ reviewer: "bob", reason: "bad_signature" }]);
    expect(detail.tally).toEqual({ approvals: 1, rejections: 0, quorum: 2 });

    // The broker route: carol's key publishes straight to airlock.votes.
    await publishVote(
      d.transport,
      createReviewer("carol", keyOf("carol")).sign({
        request_id: id,
        action_digest: call.action_digest,
        verdict: "approve",
      }),
    );
    expect(await onlyVerdict(d, call, id)).toMatchObject({ allowed: true, outcome: "approved" });
    expect((await api.get(id)).resolution).toMatchObject({ outcome: "approved", allowed: true });
  });

  it("answers JSON errors: bad query, unknown request, malformed vote, vote for another request", async () => {
    const call = escalation();
    const id = await open(d, call);
    await expect(api.list({ state: "bogus" })).rejects.toMatchObject({ status: 400, code: "bad_request" });
    await expect(api.get("no-such-request")).rejects.toMatchObject({ status: 404, code: "not_found" });

    const unsigned = await app.inject({
      method: "POST",
      url: `/v1/approvals/${id}/votes`,
      payload: { request_id: id, verdict: "approve" },
    });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.json()).toMatchObject({ error: { code: "bad_request" } });

    const vote = createReviewer("alice", keyOf("alice")).sign({
      request_id: id,
      action_digest: call.action_digest,
      verdict: "approve",
    });
    const elsewhere = await app.inject({ method: "POST", url: "/v1/approvals/other-id/votes", payload: vote });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json()).toMatchObject({ error: { code: "request_mismatch" } });
    const missing = createReviewer("alice", keyOf("alice")).sign({
      request_id: "nope",
      action_digest: call.action_digest,
      verdict: "approve",
    });
    await expect(api.postVote(missing)).rejects.toBeInstanceOf(AirlockApiError);
  });

  it("loadReviewer names the missing key and how to create it", async () => {
    await expect(loadReviewer({ reviewer: "zed", keysDir })).rejects.toThrow(/airlock keys generate --as zed/);
  });
});
