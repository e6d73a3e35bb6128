import { actionDigest } from "@airlock/shared";
import { formatPolicyError, loadPolicy, type CompiledPolicy, type ToolCall } from "../src/index.js";

/** Compile policy text that must be valid; a test fails with every error when it is not. */
export function policyOf(text: string): CompiledPolicy {
  const loaded = loadPolicy(text);
  if (!loaded.ok) throw new Error(loaded.errors.map((error) => formatPolicyError("test.yaml", error)).join("\n"));
  return loaded.policy;
}

/** The errors of policy text that must be invalid, as `line:col: path: reason` strings. */
export function errorsOf(text: string): string[] {
  const loaded = loadPolicy(text);
  if (loaded.ok) throw new Error("expected the policy to be refused, but it loaded");
  return loaded.errors.map((error) => formatPolicyError("p", error).slice(2));
}

/** A minimal valid policy document around some rules (YAML), with optional extra top-level YAML. */
export function withRules(rules: string, extra = "", defaults = "action: allow"): string {
  return `version: 1\nname: test\ndefaults: { ${defaults.split("\n").join(", ")} }\n${extra}${rules === "" ? "" : `rules:\n${rules}`}`;
}

/** A tool call's data with a correct digest; anything may be overridden. */
export function call(overrides: Partial<ToolCall> = {}): ToolCall {
  const base = {
    call_id: "call-1",
    agent_id: "agent-1",
    run_id: "run-1",
    tool: "search_documents",
    args: {},
    context: {},
    metadata: {},
    ...overrides,
  };
  return { ...base, action_digest: actionDigest({ agent_id: base.agent_id, tool: base.tool, args: base.args }) };
}
