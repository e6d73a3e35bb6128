import type { ApprovalRequirement, PolicyAction } from "./types.js";
import { resolveApproval } from "./approval.js";
import { compileToolSchemas, type ToolSchemas } from "./args-check.js";
import { compileExplainer } from "./explain.js";
import { isExactName } from "./glob.js";
import { compileCondition, toolScope, type ToolScope } from "./predicate.js";
import { RuleIndex, type CompiledRule } from "./rule-index.js";
import type { PolicyDocument } from "./schema.js";
import { effectiveApproval } from "./semantics.js";

/** Which policy decided: named in every decision. `version` is the SHA-256 of the canonical document. */
export interface PolicyIdentity {
  readonly name: string;
  readonly version: string;
}

/** A policy ready to decide: conditions compiled, approvals resolved, rules indexed by tool. Immutable. */
export interface CompiledPolicy {
  readonly identity: PolicyIdentity;
  /** The document as written (validated), for tools that show it. */
  readonly document: PolicyDocument;
  readonly defaults: {
    readonly action: "allow" | "deny";
    readonly maxToolCalls: number | undefined;
    readonly approval: ApprovalRequirement | undefined;
  };
  /** Every rule in evaluation order. */
  readonly rules: readonly CompiledRule[];
  readonly index: RuleIndex;
  /** The `tools` argument schemas, checked before any rule. */
  readonly toolSchemas: ToolSchemas;
}

/** How restrictive an action is: on a priority tie the most restrictive rule wins. */
export const RESTRICTIVENESS: Readonly<Record<PolicyAction, number>> = { deny: 3, escalate: 2, audit: 1, allow: 0 };

/**
 * Compile a validated document (see `validateDocument`) once, at load. Rules are put in evaluation
 * order — priority, highest first; on a tie the most restrictive action; then the order written — so
 * deciding is taking the first candidate that matches.
 */
export function compilePolicy(document: PolicyDocument, version: string): CompiledPolicy {
  const pools = document.pools ?? {};
  const defaultSpec = document.defaults.approval;
  const ordered = (document.rules ?? [])
    .map((spec, written) => ({ spec, written, priority: spec.priority ?? 0 }))
    .sort(
      (a, b) =>
        b.priority - a.priority ||
        RESTRICTIVENESS[b.spec.action] - RESTRICTIVENESS[a.spec.action] ||
        a.written - b.written,
    );
  const rules = ordered.map(({ spec, priority }, rank) => {
    const own = spec.action === "escalate" && spec.approval ? effectiveApproval(spec.approval, defaultSpec) : undefined;
    const route = own ?? (spec.action === "escalate" ? defaultSpec : undefined);
    const rule: CompiledRule = Object.freeze({
      name: spec.name,
      priority,
      action: spec.action,
      reason: spec.reason ?? `rule ${spec.name}`,
      approval: route === undefined ? undefined : resolveApproval(route, pools),
      matches: compileCondition(spec.when),
      explain: compileExplainer(spec.when),
      rank,
    });
    return { rule, scope: toolScope(spec.when) };
  });
  const tools = document.sensitive_tools ?? [];
  const sensitive: ToolScope = {
    names: new Set(tools.filter(isExactName)),
    patterns: tools.filter((tool) => !isExactName(tool)),
  };
  return Object.freeze({
    identity: Object.freeze({ name: document.name, version }),
    document,
    defaults: Object.freeze({
      action: document.defaults.action,
      maxToolCalls: document.defaults.max_tool_calls,
      approval: defaultSpec === undefined ? undefined : resolveApproval(defaultSpec, pools),
    }),
    rules: Object.freeze(rules.map(({ rule }) => rule)),
    index: new RuleIndex(rules, sensitive),
    toolSchemas: compileToolSchemas(document.tools ?? {}),
  });
}
