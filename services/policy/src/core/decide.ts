import type { ApprovalRequirement, PolicyAction, ToolCall } from "./types.js";
import type { CompiledPolicy, PolicyIdentity } from "./compile.js";
import { ARGS_SCHEMA_RULE } from "./args-check.js";
import { undecidedReason } from "./explain.js";
import type { CompiledRule } from "./rule-index.js";
import { applies, UNKNOWN } from "./truth.js";

/** What the service counted for the call's run: calls of this `run_id` so far, this one included. */
export interface RunCounters {
  runCalls: number;
}

/**
 * A policy's answer: the data of `airlock.policy.decided` without the call's ids. `rule` is null when
 * the defaults (or the run's call limit) decided; `approval` is set exactly when `action` is escalate.
 */
export interface Decision {
  action: PolicyAction;
  rule: string | null;
  reason: string;
  policy: PolicyIdentity;
  approval?: ApprovalRequirement;
}

/** The reason of a call that must be escalated but has nowhere to go (DESIGN.md: fail closed). */
export const NO_APPROVAL_ROUTE = "approval required, no approval route";

/**
 * Decide one call. Pure and synchronous: the same policy, call and counters give the same decision.
 *
 * 1. Past `defaults.max_tool_calls` for its run, a call is denied. A call whose args do not conform to
 *    the `tools` schema of its tool is denied (rule `args-schema`), before any rule, sensitive tool or
 *    require_approval is looked at: rules were written for arguments of that shape.
 * 2. The first candidate rule that applies wins (evaluation order: priority, then most restrictive). A
 *    rule applies when its condition is true — or unknown, for a deny or escalate rule (truth.ts).
 * 3. A deny rule that wins denies. An escalate rule that wins escalates. A call of a sensitive tool, or
 *    one with `metadata.require_approval`, escalates even where an allow or audit rule won; with no rule,
 *    a sensitive tool escalates whatever the default, while require_approval never loosens a default deny.
 * 4. An escalation takes its requirement from the escalate rule that matched (the winner, else the first
 *    matching escalate rule below it), else `defaults.approval`; with neither it is denied.
 * 5. Otherwise the winner's action, or the default.
 */
export function decide(policy: CompiledPolicy, call: ToolCall, counters: RunCounters): Decision {
  const { identity, defaults } = policy;
  const limit = defaults.maxToolCalls;
  if (limit !== undefined && counters.runCalls > limit) {
    return {
      action: "deny",
      rule: null,
      reason: `run ${call.run_id} is past max_tool_calls: this is call ${counters.runCalls}, the limit is ${limit}`,
      policy: identity,
    };
  }
  const refused = policy.toolSchemas.check(call.tool, call.args);
  if (refused !== undefined) {
    return {
      action: "deny",
      rule: ARGS_SCHEMA_RULE,
      reason: `args do not conform to tools["${refused.key}"].args: ${refused.violations.join("; ")}`,
      policy: identity,
    };
  }
  const { rules, sensitive } = policy.index.lookup(call.tool);
  let at = 0;
  let winner: CompiledRule | undefined;
  let undecided = false;
  for (; at < rules.length; at++) {
    const rule = rules[at]!;
    const truth = rule.matches(call);
    if (applies(rule.action, truth)) {
      winner = rule;
      undecided = truth === UNKNOWN;
      break;
    }
  }
  // Only a restrictive rule can win undecided (truth.ts): its reason says which comparison it could not decide.
  const reason = winner && undecided ? undecidedReason(winner.reason, winner.explain(call)) : winner?.reason;
  if (winner?.action === "deny") return { action: "deny", rule: winner.name, reason: reason!, policy: identity };
  if (winner?.action === "escalate") return escalate(policy, winner, reason!);

  const requested = call.metadata.require_approval === true;
  if (sensitive || (requested && (winner !== undefined || defaults.action === "allow"))) {
    let route: CompiledRule | undefined;
    for (let i = at + 1; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.action === "escalate" && applies(rule.action, rule.matches(call))) {
        route = rule;
        break;
      }
    }
    const why = sensitive
      ? `${call.tool} is a sensitive tool`
      : "the call asks for approval (metadata.require_approval)";
    return escalate(policy, route, route ? `${why}; ${route.reason}` : why);
  }
  if (winner !== undefined)
    return { action: winner.action, rule: winner.name, reason: winner.reason, policy: identity };
  return {
    action: defaults.action,
    rule: null,
    reason: `no rule matched; the default is ${defaults.action}`,
    policy: identity,
  };
}

function escalate(policy: CompiledPolicy, rule: CompiledRule | undefined, reason: string): Decision {
  const approval = rule?.approval ?? policy.defaults.approval;
  const name = rule?.name ?? null;
  if (approval === undefined) return { action: "deny", rule: name, reason: NO_APPROVAL_ROUTE, policy: policy.identity };
  return { action: "escalate", rule: name, reason, approval, policy: policy.identity };
}
