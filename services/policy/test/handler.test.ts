import { createEvent, migrate, PoisonMessageError, replyTopic, TOPICS, type SqlClient } from "@airlock/shared";
import { createPgliteDatabase } from "@airlock/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDecision, handleToolCallRequested, MIGRATIONS, runCalls, verdictData } from "../src/index.js";
import { call, policyOf, withRules } from "./helpers.js";

// The handler on the embedded database (PGlite, in-process): the transaction that claims, counts,
// decides, records and enqueues — and what it refuses.

const policy = policyOf(
  withRules(
    `  - { name: no-delete, when: { tool: delete_db }, action: deny, reason: never }
  - { name: pay, when: { tool: pay }, action: escalate, approval: { reviewers: [alice, bob], quorum: 2 } }
  - { name: watch, when: { tool: report }, action: audit }
`,
    "",
    "action: allow\nmax_tool_calls: 2",
  ),
);

describe("handleToolCallRequested", () => {
  let sql: SqlClient;
  const deps = () => ({ sql, policy: () => policy });
  const requested = (data: ReturnType<typeof call>) =>
    createEvent({ type: "airlock.tool_call.requested", source: "agent/a", subject: data.call_id, data });
  const outbox = async (callId: string) =>
    (
      await sql.query<{ topic: string; key: string; event: { type: string; data: Record<string, unknown> } }>(
        `select topic, key, event from policy.outbox where event->'data'->>'call_id' = $1 order by id`,
        [callId],
      )
    ).rows;

  // PGlite compiles its WebAssembly on open: seconds on a busy machine.
  beforeAll(async () => {
    sql = await createPgliteDatabase();
    await migrate(sql, { schema: "policy", directory: MIGRATIONS });
  }, 120_000);
  afterAll(async () => {
    await sql.close();
  });

  it("records an allow and enqueues policy.decided and the verdict to reply_to (and its audited copy), in one transaction", async () => {
    const data = call({ call_id: "c-allow", run_id: "r-1", reply_to: replyTopic("agent-1", "my-replies") });
    const event = requested(data);
    const handled = await handleToolCallRequested(deps(), event);
    expect(handled).toMatchObject({ status: "decided", decision: { action: "allow", rule: null } });
    if (handled.status !== "decided") throw new Error("not decided");
    const rows = await outbox("c-allow");
    expect(rows.map((row) => [row.event.type, row.topic, row.key])).toEqual([
      ["airlock.policy.decided", TOPICS.decisions, data.agent_id],
      ["airlock.verdict.final", "airlock.replies.agent-1.my-replies", data.agent_id],
      ["airlock.verdict.final", TOPICS.verdicts, data.agent_id],
    ]);
    expect(rows[1]!.event.data).toEqual(verdictData(data, handled.decision));
    // The copy on airlock.verdicts is the same event: one verdict per call, whichever topic it is read from.
    expect(rows[2]!.event).toEqual(rows[1]!.event);
    const stored = await findDecision(sql, "c-allow");
    expect(stored).toMatchObject({
      event_id: event.id,
      action: "allow",
      rule: null,
      run_calls: 1,
      policy_version: policy.identity.version,
    });
    expect(stored!.decided_event_id).toBe((rows[0]!.event as unknown as { id: string }).id);
  });

  it("sends a verdict to airlock.verdicts without reply_to, and none for an escalation", async () => {
    await handleToolCallRequested(deps(), requested(call({ call_id: "c-deny", tool: "delete_db" })));
    expect((await outbox("c-deny")).map((row) => row.topic)).toEqual([TOPICS.decisions, TOPICS.verdicts]);
    await handleToolCallRequested(deps(), requested(call({ call_id: "c-pay", tool: "pay" })));
    const rows = await outbox("c-pay");
    expect(rows.map((row) => row.event.type)).toEqual(["airlock.policy.decided"]);
    expect(rows[0]!.event.data).toMatchObject({
      action: "escalate",
      approval: { reviewers: ["alice", "bob"], quorum: 2 },
    });
  });

  it("decides a call once: a redelivery is neither counted nor enqueued again", async () => {
    const event = requested(call({ call_id: "c-once", run_id: "r-once" }));
    expect((await handleToolCallRequested(deps(), event)).status).toBe("decided");
    expect(await handleToolCallRequested(deps(), event)).toEqual({ status: "duplicate" });
    expect(await runCalls(sql, "r-once")).toBe(1);
    expect(await outbox("c-once")).toHaveLength(2);
  });

  it.each([
    ["the same call", {}],
    ["another tool", { tool: "delete_db" }],
    ["another agent", { agent_id: "agent-2" }],
  ])(
    "refuses another event reusing a claimed call_id (%s) as a poison message, on both paths, and records nothing",
    async (_, change) => {
      for (const [path, p] of [
        ["counted", policy],
        ["one statement", policyOf(withRules(""))],
      ] as const) {
        const callId = `c-reused-${path}-${Object.keys(change).join("")}`;
        const first = requested(call({ call_id: callId, run_id: `r-${callId}` }));
        expect((await handleToolCallRequested({ sql, policy: () => p }, first)).status).toBe("decided");
        const second = requested(call({ call_id: callId, run_id: `r2-${callId}`, ...change }));
        const error = await handleToolCallRequested({ sql, policy: () => p }, second).catch((e: unknown) => e);
        expect(error, path).toBeInstanceOf(PoisonMessageError);
        expect((error as Error).message).toContain(`duplicate_call: call_id ${callId} was already submitted`);
        expect((error as Error).message).toContain(first.id);
        expect(await findDecision(sql, callId)).toMatchObject({ event_id: first.id, agent_id: "agent-1" });
        expect(await runCalls(sql, `r2-${callId}`)).toBe(0);
        expect(await outbox(callId)).toHaveLength(2);
      }
    },
  );

  it("counts calls per run and denies the call past max_tool_calls", async () => {
    const actions = [];
    for (let i = 0; i < 4; i++) {
      const handled = await handleToolCallRequested(
        deps(),
        requested(call({ call_id: `c-run-${i}`, run_id: "r-limit" })),
      );
      actions.push(handled.status === "decided" ? handled.decision.action : "duplicate");
    }
    expect(actions).toEqual(["allow", "allow", "deny", "deny"]);
    expect(await runCalls(sql, "r-limit")).toBe(4);
    expect(await findDecision(sql, "c-run-2")).toMatchObject({ run_calls: 3, action: "deny" });
  });

  it("stores no run count for a call a count did not decide (a policy without max_tool_calls)", async () => {
    const uncounted = policyOf(withRules(""));
    const handled = await handleToolCallRequested(
      { sql, policy: () => uncounted },
      requested(call({ call_id: "c-uncounted", run_id: "r-uncounted" })),
    );
    expect(handled.status).toBe("decided");
    // The run is still counted; the decision just does not claim a count decided it.
    expect(await runCalls(sql, "r-uncounted")).toBe(1);
    expect(await findDecision(sql, "c-uncounted")).toMatchObject({ run_calls: null, action: "allow" });
  });

  it("refuses a call whose action_digest is not its own, as a poison message, and records nothing", async () => {
    const forged = requested({ ...call({ call_id: "c-forged", run_id: "r-forged" }), action_digest: "a".repeat(64) });
    const error = await handleToolCallRequested(deps(), forged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect((error as Error).message).toMatch(
      /^action_digest a{64} of call c-forged is not the digest of its agent_id, tool and args \([0-9a-f]{64}\)$/,
    );
    expect(await findDecision(sql, "c-forged")).toBeUndefined();
    expect(await runCalls(sql, "r-forged")).toBe(0);
  });

  it("rolls everything back when the transaction fails, so the call can be decided on redelivery", async () => {
    const event = requested(call({ call_id: "c-fail", run_id: "r-fail" }));
    // A client whose COMMIT fails after the whole transaction ran: nothing of it may remain.
    const broken: SqlClient = {
      kind: sql.kind,
      query: sql.query.bind(sql),
      exec: sql.exec.bind(sql),
      close: sql.close.bind(sql),
      transaction: (fn, options) =>
        sql.transaction(async (tx) => {
          await fn(tx);
          throw new Error("commit refused");
        }, options),
    };
    await expect(handleToolCallRequested({ sql: broken, policy: () => policy }, event)).rejects.toThrow(
      /commit refused/,
    );
    expect(await findDecision(sql, "c-fail")).toBeUndefined();
    expect(await runCalls(sql, "r-fail")).toBe(0);
    expect(await outbox("c-fail")).toEqual([]);
    expect((await handleToolCallRequested(deps(), event)).status).toBe("decided");
  });
});
