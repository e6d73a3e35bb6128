import { validateEvent } from "@airlock/shared";
import { describe, expect, it } from "vitest";
import { decide, decidedData, verdictData } from "../src/index.js";
import { call, policyOf, withRules } from "./helpers.js";

const policy = policyOf(
  withRules(`  - { name: a, when: { tool: a }, action: audit }
  - { name: d, when: { tool: d }, action: deny, reason: no }
  - { name: e, when: { tool: e }, action: escalate, approval: { reviewers: [x] } }
`),
);
const decided = (tool: string, extra = {}) => {
  const c = call({ tool, context: { user: "u", environment: "production" }, ...extra });
  return { c, decision: decide(policy, c, { runCalls: 1 }) };
};

describe("the events a decision yields", () => {
  it.each([
    ["allow", "other", true],
    ["audit", "a", true],
    ["deny", "d", false],
  ] as const)("%s: a verdict from the policy, allowed %s", (outcome, tool, allowed) => {
    const { c, decision } = decided(tool);
    expect(verdictData(c, decision)).toEqual({
      call_id: c.call_id,
      agent_id: c.agent_id,
      action_digest: c.action_digest,
      allowed,
      outcome,
      reason: decision.reason,
      decided_by: "policy",
    });
  });

  it("escalate: no verdict; approvals answers", () => {
    const { c, decision } = decided("e");
    expect(verdictData(c, decision)).toBeUndefined();
  });

  it("policy.decided carries the call and the decision, and is a valid event", () => {
    const { c, decision } = decided("e", { reply_to: "airlock.replies.agent-1.inbox" });
    const data = decidedData(c, decision);
    expect(data).toEqual({
      call_id: c.call_id,
      agent_id: c.agent_id,
      run_id: c.run_id,
      tool: "e",
      args: c.args,
      context: c.context,
      reply_to: "airlock.replies.agent-1.inbox",
      action_digest: c.action_digest,
      action: "escalate",
      rule: "e",
      reason: "rule e",
      policy: policy.identity,
      approval: decision.approval,
    });
    const envelope = {
      specversion: "1.0",
      id: "x",
      type: "airlock.policy.decided",
      source: "airlock/policy",
      time: new Date().toISOString(),
      datacontenttype: "application/json",
      data,
    };
    expect(validateEvent(envelope).ok).toBe(true);
    expect("reply_to" in decidedData(call(), decide(policy, call(), { runCalls: 1 }))).toBe(false);
  });
});
