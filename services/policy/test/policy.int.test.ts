import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  TOPICS,
  actionDigest,
  createEvent,
  createMetrics,
  createTransport,
  loadConfig,
  migrate,
  newId,
  silentLogger,
  type AirlockEvent,
  type AirlockMetrics,
  type EventData,
  type Transport,
} from "@airlock/shared";
import { createTestDatabase, tidyBroker, uniqueNamespace, waitFor, type TestDatabase } from "@airlock/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS, startPolicyService, type RunningPolicyService } from "../src/index.js";
import { BROKERS, INSTANCES, POLICY, REPLIES, REPLYING_AGENT } from "./int-fixtures.js";

// The policy service end to end on the real Postgres, over each broker: two instances in the `policy`
// consumer group, tool calls published as an agent publishes them, and what comes out collected.

type Decided = AirlockEvent<"airlock.policy.decided">;
type Verdict = AirlockEvent<"airlock.verdict.final">;

describe.each(BROKERS)("the policy service over $name", ({ name, url }) => {
  const namespace = uniqueNamespace(`pol${name.slice(0, 2)}`);
  const logger = silentLogger();
  let db: TestDatabase;
  let dir: string;
  let policyFile: string;
  const transports: Transport[] = [];
  const services: RunningPolicyService[] = [];
  const metrics: AirlockMetrics[] = [];
  let agent: Transport;
  // What the service published, by call id; lists, so that a second decision would show.
  const decisions = new Map<string, Decided[]>();
  const verdicts = new Map<string, { event: Verdict; topic: string }[]>();
  const deadLetters: AirlockEvent<"airlock.dead_letter">[] = [];

  const connect = async (clientId: string) => {
    const transport = await createTransport(url, { logger, namespace, clientId: `${namespace}-${clientId}` });
    await transport.start();
    transports.push(transport);
    return transport;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.sql, { schema: "policy", directory: MIGRATIONS });
    dir = await mkdtemp(path.join(tmpdir(), "airlock-policy-int-"));
    policyFile = path.join(dir, "policy.yaml");
    await writeFile(policyFile, POLICY);

    agent = await connect("agent");
    await agent.subscribe({
      group: "test-decisions",
      topics: [TOPICS.decisions],
      prefetch: 256,
      handler: (event) => {
        if (event.type === "airlock.policy.decided")
          decisions.set(event.data.call_id, [...(decisions.get(event.data.call_id) ?? []), event]);
        return Promise.resolve();
      },
    });
    await agent.subscribe({
      group: "test-verdicts",
      topics: [TOPICS.verdicts, REPLIES],
      prefetch: 256,
      handler: (event, delivery) => {
        if (event.type === "airlock.verdict.final") {
          verdicts.set(event.data.call_id, [
            ...(verdicts.get(event.data.call_id) ?? []),
            { event, topic: delivery.topic },
          ]);
        }
        return Promise.resolve();
      },
    });
    await agent.subscribe({
      group: "test-dead-letters",
      topics: [TOPICS.deadLetter],
      handler: (event) => {
        if (event.type === "airlock.dead_letter") deadLetters.push(event);
        return Promise.resolve();
      },
    });

    for (let i = 0; i < INSTANCES; i++) {
      const transport = await connect(`policy-${i}`);
      const instanceMetrics = createMetrics();
      metrics.push(instanceMetrics);
      services.push(
        await startPolicyService({
          config: loadConfig({}),
          transport,
          sql: db.sql,
          logger,
          metrics: instanceMetrics,
          policyPath: policyFile,
          reloadDebounceMs: 20,
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.allSettled(services.map((service) => service.stop()));
    await Promise.allSettled(transports.map((transport) => transport.close()));
    await tidyBroker(url, [namespace]);
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = (tool: string, overrides: Partial<EventData<"airlock.tool_call.requested">> = {}) => {
    const agentId = overrides.agent_id ?? `agent-${newId().slice(0, 4)}`;
    const args = overrides.args ?? { n: 1 };
    const data = {
      call_id: newId(),
      run_id: newId(),
      context: { user: "dave", environment: "production" },
      ...overrides,
      agent_id: agentId,
      tool,
      args,
      action_digest: overrides.action_digest ?? actionDigest({ agent_id: agentId, tool, args }),
    };
    return createEvent({
      type: "airlock.tool_call.requested",
      source: `agent/${agentId}`,
      subject: data.call_id,
      data,
    });
  };

  const publishAll = async (events: AirlockEvent[]) => {
    for (let i = 0; i < events.length; i += 100)
      await Promise.all(events.slice(i, i + 100).map((event) => agent.publish(event)));
  };

  /** Tool calls the services finished handling (decided or found already decided), over every instance. */
  const handled = async () => {
    let total = 0;
    for (const m of metrics) for (const value of (await m.eventsIn.get()).values) total += value.value;
    return total;
  };

  const decisionRows = async (callIds: string[]) =>
    Number(
      (
        await db.sql.query<{ n: unknown }>(`select count(*) as n from policy.decisions where call_id = any($1)`, [
          callIds,
        ])
      ).rows[0]!.n,
    );
  const outboxSize = async () =>
    Number((await db.sql.query<{ n: unknown }>(`select count(*) as n from policy.outbox`)).rows[0]!.n);
  const runCount = async (run: string) =>
    (await db.sql.query<{ calls: unknown }>(`select calls from policy.run_counters where run_id = $1`, [run])).rows.map(
      (row) => Number(row.calls),
    );

  it("1,000 tool calls in → exactly 1,000 decisions out, one per call, with allow/deny verdicts on the reply topic", async () => {
    const tools = ["search_documents", "delete_database", "payments.transfer", "reports.monthly"];
    const calls = Array.from({ length: 1000 }, (_, i) =>
      call(
        tools[i % 4]!,
        i % 3 === 0 ? { agent_id: REPLYING_AGENT, reply_to: REPLIES } : { agent_id: `agent-${i % 17}` },
      ),
    );
    const ids = calls.map((event) => event.data.call_id);
    await publishAll(calls);
    await waitFor(() => ids.every((id) => decisions.has(id)), "1,000 decisions", 60_000);
    // 750 allow/deny/audit verdicts; a call with reply_to gets it there and, as the same event, on
    // airlock.verdicts — wait for both copies.
    const copies = (event: (typeof calls)[number]): number => (event.data.reply_to ? 2 : 1);
    await waitFor(
      () => calls.filter((event) => (verdicts.get(event.data.call_id)?.length ?? 0) >= copies(event)).length >= 750,
      "750 verdicts",
      60_000,
    );

    const byAction: Record<string, number> = {};
    for (const event of calls) {
      const [decision, ...more] = decisions.get(event.data.call_id)!;
      expect(more).toEqual([]);
      const { action, rule, policy, action_digest, run_id, tool, args, context } = decision!.data;
      byAction[action] = (byAction[action] ?? 0) + 1;
      expect({ action_digest, run_id, tool, args, context }).toEqual({
        action_digest: event.data.action_digest,
        run_id: event.data.run_id,
        tool: event.data.tool,
        args: event.data.args,
        context: event.data.context,
      });
      expect(policy).toEqual(services[0]!.policy());
      const answer = verdicts.get(event.data.call_id) ?? [];
      if (action === "escalate") {
        expect(rule).toBe("pay");
        expect(decision!.data.approval).toMatchObject({
          pool: "admins",
          reviewers: ["alice", "bob", "carol"],
          quorum: 2,
        });
        expect(answer).toEqual([]);
      } else {
        // One verdict: on reply_to when the call names one, and the same event (same id) on
        // airlock.verdicts, where the audit log reads it.
        expect(new Set(answer.map((a) => a.event.id)).size).toBe(1);
        expect(answer.map((a) => a.topic).sort()).toEqual(
          (event.data.reply_to ? [event.data.reply_to, TOPICS.verdicts] : [TOPICS.verdicts]).sort(),
        );
        const { event: verdict } = answer[0]!;
        expect(verdict.data).toEqual({
          call_id: event.data.call_id,
          agent_id: event.data.agent_id,
          action_digest: event.data.action_digest,
          allowed: action !== "deny",
          outcome: action,
          reason: decision!.data.reason,
          decided_by: "policy",
        });
      }
    }
    expect(byAction).toEqual({ allow: 250, deny: 250, escalate: 250, audit: 250 });
    expect(await decisionRows(ids)).toBe(1000);
    let counted = 0;
    for (const m of metrics) for (const value of (await m.decisions.get()).values) counted += value.value;
    expect(counted).toBe(1000);
  });

  it("a redelivered call is neither counted nor decided twice; another event reusing its call_id is dead-lettered", async () => {
    const before = await handled();
    const original = call("search_documents");
    const sameEventAgain = original;
    const sameCallNewEvent = createEvent({
      type: "airlock.tool_call.requested",
      source: original.source,
      subject: original.subject!,
      data: original.data,
    });
    await publishAll([original, sameEventAgain, sameCallNewEvent]);
    await waitFor(async () => (await handled()) >= before + 2, "two deliveries handled");
    await waitFor(
      () => deadLetters.some((letter) => letter.data.raw.includes(sameCallNewEvent.id)),
      "the reused call_id dead-lettered",
    );
    const letter = deadLetters.find((l) => l.data.raw.includes(sameCallNewEvent.id))!;
    expect(letter.data).toMatchObject({ topic: TOPICS.toolCalls, consumer: "policy" });
    expect(letter.data.reason).toContain(`duplicate_call: call_id ${original.data.call_id} was already submitted`);
    // Whatever the three deliveries enqueued has been published once the outbox is empty.
    await waitFor(async () => (await outboxSize()) === 0, "the outbox drained");
    await waitFor(() => decisions.has(original.data.call_id), "the decision");
    expect(decisions.get(original.data.call_id)).toHaveLength(1);
    expect(await decisionRows([original.data.call_id])).toBe(1);
    expect(await runCount(original.data.run_id)).toEqual([1]);
    await waitFor(() => verdicts.has(original.data.call_id), "the verdict");
    expect(verdicts.get(original.data.call_id)).toHaveLength(1);
  });

  it("counts max_tool_calls per run across instances: the calls past the limit are denied", async () => {
    const run = newId();
    const calls = Array.from({ length: 12 }, (_, i) =>
      call("search_documents", { run_id: run, agent_id: `runner-${i}` }),
    );
    await publishAll(calls);
    await waitFor(() => calls.every((event) => decisions.has(event.data.call_id)), "12 decisions");
    const outcomes = calls.map((event) => decisions.get(event.data.call_id)![0]!.data);
    expect(outcomes.filter((data) => data.action === "allow" && data.rule === "read")).toHaveLength(5);
    const denied = outcomes.filter((data) => data.action === "deny");
    expect(denied).toHaveLength(7);
    for (const data of denied)
      expect(data).toMatchObject({
        rule: null,
        reason: expect.stringMatching(
          /^run .* is past max_tool_calls: this is call (6|7|8|9|10|11|12), the limit is 5$/,
        ) as unknown,
      });
    expect(await runCount(run)).toEqual([12]);
  });

  it("dead-letters a call whose action_digest is not its own, and decides nothing", async () => {
    const forged = call("search_documents", { action_digest: "f".repeat(64) });
    const lettered = () => transports.slice(1).reduce((sum, t) => sum + t.stats.deadLettered, 0);
    const letteredBefore = lettered();
    await agent.publish(forged);
    await waitFor(() => deadLetters.some((letter) => letter.data.raw.includes(forged.data.call_id)), "the dead letter");
    // The broker may deliver the letter before it confirms it to the policy, which counts it only then.
    await waitFor(() => lettered() > letteredBefore, "the policy counting its dead letter");
    const letter = deadLetters.find((l) => l.data.raw.includes(forged.data.call_id))!;
    expect(letter.data).toMatchObject({
      topic: TOPICS.toolCalls,
      consumer: "policy",
      reason: expect.stringContaining("action_digest") as unknown,
    });
    expect(await decisionRows([forged.data.call_id])).toBe(0);
  });

  it("ignores airlock.tool_call.cancelled, which shares the topic", async () => {
    const consumed = () => transports.slice(1).reduce((sum, t) => sum + t.stats.consumed, 0);
    const errors = () => transports.slice(1).reduce((sum, t) => sum + t.stats.handlerErrors + t.stats.deadLettered, 0);
    const [consumedBefore, errorsBefore] = [consumed(), errors()];
    const cancelled = createEvent({
      type: "airlock.tool_call.cancelled",
      source: "agent/a",
      data: { call_id: newId(), agent_id: "a" },
    });
    await agent.publish(cancelled);
    await waitFor(() => consumed() > consumedBefore, "the cancellation consumed");
    expect(errors()).toBe(errorsBefore);
    expect(await decisionRows([cancelled.data.call_id])).toBe(0);
  });

  it("reloads the policy file while calls flow, deciding each call once, naming the version it used", async () => {
    const v1 = services[0]!.policy().version;
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => call("reload.t", { agent_id: `reloader-${i % 5}` }));
    const during = batch(200);
    const publishing = publishAll(during);
    await writeFile(
      policyFile,
      POLICY.replace(
        "{ name: reload-me, when: { tool: reload.t }, action: allow }",
        "{ name: reload-me, when: { tool: reload.t }, action: deny }",
      ),
    );
    await publishing;
    await waitFor(
      () => services.every((service) => service.policy().version !== v1),
      "every instance on the new version",
    );
    const v2 = services[0]!.policy().version;
    const after = batch(50);
    await publishAll(after);
    await waitFor(
      () => [...during, ...after].every((event) => decisions.has(event.data.call_id)),
      "250 decisions",
      60_000,
    );
    for (const event of during) {
      const [decision, ...more] = decisions.get(event.data.call_id)!;
      expect(more).toEqual([]);
      // Before the reload: allowed under v1; after: denied under v2. Never a mix.
      const { action, policy } = decision!.data;
      expect([`allow ${v1}`, `deny ${v2}`]).toContain(`${action} ${policy.version}`);
    }
    for (const event of after)
      expect(decisions.get(event.data.call_id)![0]!.data).toMatchObject({ action: "deny", policy: { version: v2 } });
  });
});
