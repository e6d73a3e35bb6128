import { describe, expect, it } from "vitest";
import { ALL_TOPICS, actionDigest, createEvent, parseEvent, replyToProblem, replyTopic } from "../../src/index.js";

// A reply_to is a reply topic of the call's own agent: `airlock.replies.<agent_id>.<name>`. Whatever else
// a caller names — a broker's own exchanges, Airlock's topics, another agent's replies — is refused, by
// the schema of every event that carries one, so a call on the broker is dead-lettered like one over HTTP.

const agent = "finance-bot";

function requested(agentId: string, replyTo: string): string {
  const call = { agent_id: agentId, tool: "reports.quarterly", args: {} };
  return JSON.stringify({
    specversion: "1.0",
    id: "e-1",
    type: "airlock.tool_call.requested",
    source: `agent/${agentId}`,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: { ...call, call_id: "c-1", run_id: "r-1", action_digest: actionDigest(call), reply_to: replyTo },
  });
}

describe("reply_to", () => {
  it("accepts a reply topic of the call's own agent", () => {
    expect(replyTopic(agent, "inbox")).toBe("airlock.replies.finance-bot.inbox");
    expect(replyToProblem(agent, "airlock.replies.finance-bot.inbox_2-b")).toBeUndefined();
    expect(replyToProblem("a.b", "airlock.replies.a.b.x")).toBeUndefined();
    expect(parseEvent(requested(agent, "airlock.replies.finance-bot.inbox")).ok).toBe(true);
  });

  it.each<[string, string]>([
    ["a RabbitMQ exchange", "amq.direct"],
    ["any amq.* name", "amq.rabbitmq.trace"],
    ["RabbitMQ's dead-letter exchange", "airlock.dlx"],
    ...ALL_TOPICS.map((topic): [string, string] => [`Airlock's own topic ${topic}`, topic]),
    ["a name colliding with airlock.verdicts on Kafka", "airlock_verdicts"],
    ["another agent's replies", "airlock.replies.payments-bot.inbox"],
    ["an agent's replies whose id extends this one's", "airlock.replies.finance-bot.x.inbox"],
    ["the bare prefix", "airlock.replies.finance-bot."],
    ["a name outside the namespace", "finance-bot.replies"],
  ])("refuses %s (%s), in the schema too, naming reply_to", (_, topic) => {
    expect(replyToProblem(agent, topic)).toMatch(/^must be airlock\.replies\.finance-bot\.<name>/);
    const parsed = parseEvent(requested(agent, topic));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/reply_to/);
  });

  it("refuses a topic name over the bound, and agents whose id a topic cannot hold", () => {
    const long = "a".repeat(150);
    expect(replyToProblem(long, `airlock.replies.${long}.${"b".repeat(40)}`)).toMatch(/at most 200/);
    expect(replyToProblem("bot/1", "airlock.replies.bot/1.x")).toMatch(/cannot have reply topics/);
    expect(() => replyTopic(agent, "with.dot")).toThrow(TypeError);
  });

  it("binds the reply topic in policy.decided too", () => {
    const call = { agent_id: agent, tool: "t", args: {} };
    const data = {
      ...call,
      call_id: "c",
      run_id: "r",
      context: {},
      action_digest: actionDigest(call),
      action: "allow" as const,
      rule: null,
      reason: "",
      policy: { name: "p", version: "0".repeat(64) },
    };
    const make = (replyTo: string) => () =>
      createEvent({ type: "airlock.policy.decided", source: "t", data: { ...data, reply_to: replyTo } });
    expect(make("airlock.replies.finance-bot.inbox")).not.toThrow();
    expect(make("amq.direct")).toThrow(/reply_to/);
  });
});
