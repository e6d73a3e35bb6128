import type { EventDataInput } from "@airlock/shared";
import type { Decision } from "./decide.js";
import type { ToolCall } from "./types.js";

/**
 * The data of the `airlock.policy.decided` a decision yields: the decision, with the call it is about
 * (approvals shows reviewers the call, refuses self-approval and answers `reply_to` from it alone).
 */
export function decidedData(call: ToolCall, decision: Decision): EventDataInput<"airlock.policy.decided"> {
  return {
    call_id: call.call_id,
    agent_id: call.agent_id,
    run_id: call.run_id,
    tool: call.tool,
    args: call.args,
    context: call.context,
    ...(call.reply_to === undefined ? {} : { reply_to: call.reply_to }),
    action_digest: call.action_digest,
    action: decision.action,
    rule: decision.rule,
    reason: decision.reason,
    policy: { name: decision.policy.name, version: decision.policy.version },
    ...(decision.approval === undefined ? {} : { approval: decision.approval }),
  };
}

/**
 * The call's one `airlock.verdict.final` when the policy answers it (allow, audit, deny); undefined for
 * an escalation, which the approvals service answers.
 */
export function verdictData(call: ToolCall, decision: Decision): EventDataInput<"airlock.verdict.final"> | undefined {
  if (decision.action === "escalate") return undefined;
  return {
    call_id: call.call_id,
    agent_id: call.agent_id,
    action_digest: call.action_digest,
    allowed: decision.action !== "deny",
    outcome: decision.action,
    reason: decision.reason,
    decided_by: "policy",
  };
}
