import {
  TOPICS,
  actionDigest,
  createEvent,
  createMetrics,
  createTransport,
  formatPublicKey,
  generateReviewerKeyPair,
  loadConfig,
  migrate,
  newId,
  parseReviewersFile,
  reviewersFileLine,
  signVote,
  silentLogger,
  type AirlockEvent,
  type SqlClient,
} from "@airlock/shared";
import { createTestDatabase } from "@airlock/shared/testing";
import { MIGRATIONS, SCHEMA, startApprovalsService } from "@airlock/approvals";
import type { KeyObject } from "node:crypto";
import { benchNamespace, tidyNamespace } from "../lib/namespace.js";
import type { BenchResult } from "../lib/result.js";
import { since, summarize, timeSequential } from "../lib/stats.js";

/** Options of the approvals benchmark. */
export interface ApprovalsBenchOptions {
  /** Broker URL; default the in-process broker, so the numbers are the database's and the service's. */
  brokerUrl?: string;
  /** Requests in the throughput phase, each resolved by its second of two approvals (2-of-3). */
  requests?: number;
  /** Sequential votes in the latency phase, each resolving a 1-of-3 request. */
  latencySamples?: number;
  /** Single-row INSERT commits in the baseline. */
  inserts?: number;
}

const POOL = ["alice", "bob", "carol"];

/**
 * Votes to a committed tally, and vote → verdict latency, beside the floor under them: a single-row
 * INSERT commit on the same Postgres in the same run. A vote costs one transaction (claim the event id,
 * lock the request, read its votes, write the vote, and on the deciding vote the resolution and two
 * outbox rows), then the relay's publish of the verdict.
 */
export async function runApprovalsBench(options: ApprovalsBenchOptions = {}): Promise<BenchResult> {
  const brokerUrl = options.brokerUrl ?? "memory://bench-approvals";
  const requests = options.requests ?? 300;
  const latencySamples = options.latencySamples ?? 200;
  const inserts = options.inserts ?? 1000;

  const db = await createTestDatabase();
  const stops: Array<() => Promise<void>> = [() => db.drop()];
  try {
    const baseline = await insertBaseline(db.sql, inserts);

    await migrate(db.sql, { schema: SCHEMA, directory: MIGRATIONS });
    const namespace = benchNamespace();
    const transport = await createTransport(brokerUrl, { logger: silentLogger(), namespace });
    await transport.start();
    stops.push(
      () => tidyNamespace(brokerUrl, namespace),
      () => transport.close(),
    );
    const keys = new Map<string, KeyObject>();
    const reviewers = parseReviewersFile(
      POOL.map((person) => {
        const pair = generateReviewerKeyPair();
        keys.set(person, pair.privateKey);
        return reviewersFileLine(person, formatPublicKey(pair.publicKey));
      }).join("\n"),
    );
    const service = await startApprovalsService({
      config: loadConfig({}),
      transport,
      sql: db.sql,
      logger: silentLogger(),
      metrics: createMetrics(),
      reviewers,
    });
    stops.push(() => service.stop());

    // Who is waiting for what: approval.opened by call id, verdict.final by call id.
    const opened = new Map<string, string>();
    const verdictAt = new Map<string, bigint>();
    const waiters = new Map<string, () => void>();
    await transport.subscribe({
      group: "bench-observer",
      topics: [TOPICS.approvals, TOPICS.verdicts],
      prefetch: 256,
      handler: (event) => {
        if (event.type === "airlock.approval.opened") opened.set(event.data.call_id, event.data.request_id);
        if (event.type === "airlock.verdict.final") verdictAt.set(event.data.call_id, process.hrtime.bigint());
        const key = `${event.type}:${event.subject ?? ""}`;
        waiters.get(key)?.();
        return Promise.resolve();
      },
    });
    const until = (type: string, callId: string, seen: () => boolean): Promise<void> =>
      seen() ? Promise.resolve() : new Promise((resolve) => waiters.set(`${type}:${callId}`, resolve));

    async function openAll(
      quorum: number,
      count: number,
    ): Promise<Array<{ call_id: string; request_id: string; digest: string }>> {
      const calls = Array.from({ length: count }, () => decision(quorum));
      await Promise.all(calls.map((call) => transport.publish(call)));
      await Promise.all(
        calls.map((call) => until("airlock.approval.opened", call.data.call_id, () => opened.has(call.data.call_id))),
      );
      return calls.map((call) => ({
        call_id: call.data.call_id,
        request_id: opened.get(call.data.call_id)!,
        digest: call.data.action_digest,
      }));
    }
    const vote = (request_id: string, digest: string, person: string): AirlockEvent<"airlock.vote.cast"> =>
      createEvent({
        type: "airlock.vote.cast",
        source: `reviewer/${person}`,
        subject: request_id,
        data: signVote(
          { vote_id: newId(), request_id, action_digest: digest, reviewer: person, verdict: "approve" },
          keys.get(person)!,
        ),
      });

    // Throughput: every vote published at once; done when every vote is committed and every verdict seen.
    const batch = await openAll(2, requests);
    const votes = batch.flatMap((r) => [vote(r.request_id, r.digest, "alice"), vote(r.request_id, r.digest, "bob")]);
    const sentAt = new Map<string, bigint>();
    const started = process.hrtime.bigint();
    await Promise.all(
      votes.map(async (v, i) => {
        await transport.publish(v);
        if (i % 2 === 1) sentAt.set(batch[(i - 1) / 2]!.call_id, process.hrtime.bigint());
      }),
    );
    await waitCommitted(db.sql, votes.length);
    const committedMs = since(started);
    await Promise.all(batch.map((r) => until("airlock.verdict.final", r.call_id, () => verdictAt.has(r.call_id))));
    const underLoad = summarize(batch.map((r) => Number(verdictAt.get(r.call_id)! - sentAt.get(r.call_id)!) / 1e6));

    // Latency: one vote at a time, each deciding its request.
    const single = await openAll(1, latencySamples);
    // Signed beforehand: the signature is the reviewer's cost, not the vote → verdict path's.
    const deciding = single.map((r) => vote(r.request_id, r.digest, "carol"));
    const sequential = summarize(
      await timeSequential(async (i) => {
        const callId = single[i]!.call_id;
        await transport.publish(deciding[i]!);
        await until("airlock.verdict.final", callId, () => verdictAt.has(callId));
      }, single.length),
    );

    return {
      name: "approvals",
      description:
        `Votes to a committed tally (${votes.length} votes on ${requests} 2-of-3 requests, all published at once) and vote → verdict.final ` +
        `latency, over ${transport.kind} and Postgres, beside a single-row INSERT commit on the same server in the same run.`,
      rows: [
        {
          case: "baseline: single-row INSERT commit (sequential)",
          "ops/s": baseline.perSecond,
          p50_ms: baseline.summary.p50_ms,
          p99_ms: baseline.summary.p99_ms,
        },
        {
          case: "votes to a committed tally (burst)",
          "ops/s": Math.round((votes.length / committedMs) * 1000),
          p50_ms: "",
          p99_ms: "",
        },
        { case: "vote → verdict, under the burst", "ops/s": "", p50_ms: underLoad.p50_ms, p99_ms: underLoad.p99_ms },
        {
          case: "vote → verdict, one at a time",
          "ops/s": Math.round(1000 / sequential.mean_ms),
          p50_ms: sequential.p50_ms,
          p99_ms: sequential.p99_ms,
        },
      ],
      notes: [
        "A vote is one transaction of ~6 statements (processed-event claim, row lock, votes read, insert, and on the deciding vote the resolution and two outbox rows); the INSERT row is the floor of one commit.",
        "vote → verdict includes the verdict's publish, handed to the outbox relay's dispatch() straight after COMMIT (no database round in between), and the broker hop to the agent.",
      ],
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/** A 2-of-3 (or `quorum`-of-3) escalation, as the policy publishes it. */
function decision(quorum: number): AirlockEvent<"airlock.policy.decided"> {
  const action = { agent_id: "bench-agent", tool: "payments.transfer", args: { amount: 5000, ref: newId() } };
  const call_id = newId();
  return createEvent({
    type: "airlock.policy.decided",
    source: "bench",
    subject: call_id,
    data: {
      ...action,
      call_id,
      run_id: "bench",
      context: { user: "dave" },
      action_digest: actionDigest(action),
      action: "escalate",
      rule: "bench",
      reason: "bench",
      policy: { name: "bench", version: "0".repeat(64) },
      approval: {
        pool: "bench",
        reviewers: POOL,
        quorum,
        veto: false,
        confirm_by_requester: false,
        timeout_ms: 3_600_000,
        on_timeout: "deny",
      },
    },
  });
}

/** Sequential single-row INSERT commits (autocommit): the cost of one durable commit on this server. */
async function insertBaseline(
  sql: SqlClient,
  count: number,
): Promise<{ perSecond: number; summary: ReturnType<typeof summarize> }> {
  await sql.query(
    "create table bench_insert (id bigserial primary key, payload text not null, at timestamptz not null default now())",
  );
  const started = process.hrtime.bigint();
  const samples = await timeSequential(async (i) => {
    await sql.query("insert into bench_insert (payload) values ($1)", [`row ${i}`]);
  }, count);
  return { perSecond: Math.round((count / since(started)) * 1000), summary: summarize(samples) };
}

/** Poll until `count` vote events are committed (each vote's processed-event row commits with its effect). */
async function waitCommitted(sql: SqlClient, count: number): Promise<void> {
  for (;;) {
    const { rows } = await sql.query<{ n: number }>(
      `select count(*)::int as n from approvals.processed_events where type = 'airlock.vote.cast'`,
    );
    if (rows[0]!.n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
