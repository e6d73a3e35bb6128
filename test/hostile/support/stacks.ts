import { expect } from "vitest";
import { approvalsApi, type ApprovalDetail, type Reviewer } from "@airlock/client";
import {
  createTransport,
  silentLogger,
  TOPICS,
  type AirlockEvent,
  type Queryable,
  type Subscription,
  type Transport,
} from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { outboxRows, readAuditLog, verifyAuditLog } from "../../../bench/soak/audit-log.js";
import { WORKLOAD_POLICY } from "../../../bench/soak/policy.js";
import { startProcessStack, type ProcessStack } from "../../../bench/soak/stack.js";
import { SERVICES } from "../../../bench/soak/processes.js";
import { startEmbeddedStack } from "../../e2e/stack.js";

/** The workload policy with escalations that stay pending for the length of a hostile run. */
export const PATIENT_POLICY = WORKLOAD_POLICY.replaceAll("timeout: 2m", "timeout: 1h");

/** What a hostile suite needs of a running Airlock, embedded or distributed. */
export interface HostileTarget {
  kind: "memory" | "amqp" | "kafka";
  /** The HTTP API now. */
  url(): string;
  /** Every URL whose /healthz must stay ok (one per process). */
  healthUrls(): string[];
  /** A started transport on the stack's broker and namespace, for raw publishing and watching. */
  transport: Transport;
  reviewers: ReadonlyMap<string, Reviewer>;
  /** The stack's database, when the suite can reach it (distributed): its outboxes must drain. */
  sql?: Queryable;
  /** Service processes that exited by themselves (none in the embedded process: it would fail the run). */
  crashes(): unknown[];
  stop(): Promise<void>;
}

/** The embedded stack (memory:// + PGlite, one process) with a transport on its in-process broker. */
export async function embeddedTarget(): Promise<HostileTarget> {
  const stack = await startEmbeddedStack();
  const transport = await createTransport(stack.broker, { logger: silentLogger() });
  await transport.start();
  return {
    kind: "memory",
    url: () => stack.url,
    healthUrls: () => [stack.url],
    transport,
    reviewers: stack.reviewers,
    crashes: () => [],
    stop: async () => {
      await transport.close();
      await stack.stop();
    },
  };
}

/** The services as separate processes on a real broker and Postgres. */
export async function distributedTarget(
  kind: "amqp" | "kafka",
  broker: string,
): Promise<HostileTarget & { stack: ProcessStack }> {
  const stack = await startProcessStack({ broker, policy: PATIENT_POLICY });
  const transport = await createTransport(broker, {
    logger: silentLogger(),
    namespace: stack.namespace,
    clientId: `hostile-${stack.namespace}`,
  });
  await transport.start();
  return {
    kind,
    stack,
    url: () => stack.url,
    healthUrls: () => SERVICES.map((name) => stack.processes.url(name)),
    transport,
    reviewers: stack.reviewers,
    sql: stack.sql,
    crashes: () => stack.processes.crashes(),
    stop: async () => {
      await transport.close();
      await stack.stop();
    },
  };
}

/** Every dead letter published on the target's broker from now on. */
export class DeadLetterWatch {
  readonly letters: Array<AirlockEvent<"airlock.dead_letter">> = [];
  #subscription: Subscription | undefined;

  static async start(transport: Transport, group = "hostile-dead-letters"): Promise<DeadLetterWatch> {
    const watch = new DeadLetterWatch();
    watch.#subscription = await transport.subscribe({
      group,
      topics: [TOPICS.deadLetter],
      prefetch: 256,
      handler: (event) => {
        if (event.type === "airlock.dead_letter") watch.letters.push(event);
        return Promise.resolve();
      },
    });
    return watch;
  }

  /** The dead letters whose kept message contains `marker`. */
  naming(marker: string): Array<AirlockEvent<"airlock.dead_letter">> {
    return this.letters.filter((letter) => letter.data.raw.includes(marker));
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
  }
}

/** What must not change while hostile input is thrown at a stack. */
export interface Baseline {
  entries: Array<{ seq: number; event_id: string; hash: string }>;
  approvals: Map<string, unknown>;
}

/** The part of an approval that no hostile input may change (refusals may be added: they are the record). */
function settled(approval: ApprovalDetail): unknown {
  return {
    state: approval.state,
    votes: approval.votes,
    tally: approval.tally,
    resolution: approval.resolution,
    action_digest: approval.action_digest,
    args: approval.args,
  };
}

/**
 * Make one approved and one pending approval (transfers of 5000, two finance admins) and remember them
 * and the audit log as they are.
 */
export async function seedAndRecord(target: HostileTarget): Promise<Baseline> {
  const url = target.url();
  const api = approvalsApi({ url });
  const requests: ApprovalDetail[] = [];
  for (const amount of [5001, 5002]) {
    const response = await fetch(`${url}/v1/tool-calls`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        agent_id: "seed-agent",
        tool: "transfer_funds",
        args: { amount, to: "ACME" },
        context: { user: "dave@corp.example" },
      }),
    });
    expect(response.status).toBe(202);
    const { call_id } = (await response.json()) as { call_id: string };
    let id: string | undefined;
    await waitFor(async () => {
      id = (await api.list({ limit: 500 })).find((a) => a.call_id === call_id)?.id;
      return id !== undefined;
    }, `the approval request of seed call ${call_id}`);
    requests.push(await api.get(id!));
  }
  const [approved, pending] = requests as [ApprovalDetail, ApprovalDetail];
  for (const reviewer of ["alice@corp.example", "bob@corp.example"]) {
    await api.postVote(
      target.reviewers.get(reviewer)!.sign({
        request_id: approved.id,
        action_digest: approved.action_digest,
        verdict: "approve",
      }),
    );
  }
  await waitFor(async () => (await api.get(approved.id)).state === "approved", "the seed approval to be approved");
  await waitFor(async () => {
    const log = await readAuditLog(url);
    return log.some((e) => e.type === "airlock.verdict.final" && e.subject === approved.call_id);
  }, "the seed approval's verdict in the audit log");
  const approvals = new Map<string, unknown>();
  for (const id of [approved.id, pending.id]) approvals.set(id, settled(await api.get(id)));
  const entries = (await readAuditLog(url)).map((e) => ({ seq: e.seq, event_id: e.event_id, hash: e.hash }));
  return { entries, approvals };
}

/** The ids of the seeded approvals: [approved, pending]. */
export function seededIds(baseline: Baseline): [string, string] {
  return [...baseline.approvals.keys()] as [string, string];
}

/**
 * After the hostile input: every process healthy, the log still verifies and begins with exactly the
 * entries it had, the seeded approvals as they were, and good calls still decided.
 */
export async function expectStillSound(target: HostileTarget, before: Baseline): Promise<void> {
  for (const url of target.healthUrls()) {
    const health = await fetch(`${url}/healthz`);
    expect(health.status, `${url}/healthz`).toBe(200);
  }
  expect(target.crashes()).toEqual([]);
  const url = target.url();
  const api = approvalsApi({ url });
  for (const [id, was] of before.approvals) expect(settled(await api.get(id)), `approval ${id}`).toEqual(was);
  for (const [tool, allowed] of [
    ["search_documents", true],
    ["delete_database", false],
  ] as const) {
    const response = await fetch(`${url}/v1/tool-calls?wait=30s`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent_id: "after-agent", tool, args: { q: "after the storm" } }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { verdict: { allowed: boolean } }).verdict.allowed).toBe(allowed);
  }
  let log = await readAuditLog(url);
  await waitFor(async () => {
    log = await readAuditLog(url);
    return (
      log.filter((e) => e.type === "airlock.verdict.final" && e.event.data["agent_id"] === "after-agent").length === 2
    );
  }, "the good calls' verdicts in the audit log");
  const prefix = log.slice(0, before.entries.length).map((e) => ({ seq: e.seq, event_id: e.event_id, hash: e.hash }));
  expect(prefix).toEqual(before.entries);
  const sql = target.sql;
  if (sql) {
    let rows: Record<string, number> = {};
    await waitFor(async () => {
      rows = await outboxRows(sql);
      return Object.values(rows).every((n) => n === 0);
    }, "every outbox to drain").catch(() => undefined);
    const stuck = await sql.query<{ topic: string; key: string }>(
      `select topic, left(key, 40) as key from policy.outbox union all select topic, left(key, 40) from approvals.outbox`,
    );
    expect(rows, `outbox rows no relay could publish: ${JSON.stringify(stuck.rows.slice(0, 5))}`).toEqual({
      policy: 0,
      approvals: 0,
      audit: 0,
    });
  }
  expect(new Set(log.map((e) => e.event_id)).size).toBe(log.length);
  const verified = await verifyAuditLog(url);
  expect(verified.ok, JSON.stringify(verified.report)).toBe(true);
}
