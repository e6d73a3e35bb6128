import { z } from "zod";
import { actionDigest, PolicyAction, ToolCallRequested } from "@airlock/shared";
import type { CompiledPolicy } from "./compile.js";
import { decide, type Decision } from "./decide.js";
import type { PolicyIssue } from "./issue.js";
import { parseSource, type PolicyError } from "./source.js";
import { fromZod } from "./validate.js";
import type { ToolCall } from "./types.js";

// Policy test cases (`airlock policy test FILE CASES`): a YAML list of calls and the decision each must get.

/** What `policy eval` and test cases fill in when an event leaves them out. */
export const EVAL_DEFAULTS = { call_id: "eval-call", run_id: "eval-run", agent_id: "eval-agent" } as const;

/**
 * A tool call as a person writes it for `policy eval` or a test case: the data of a
 * `tool_call.requested` (or a whole event, whose `data` is taken), where call_id, run_id, agent_id
 * and action_digest may be left out. A digest that is given must be the call's.
 */
export function completeCall(input: unknown): { ok: true; call: ToolCall } | { ok: false; issues: PolicyIssue[] } {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return {
      ok: false,
      issues: [{ path: [], message: "an event is a mapping (the data of an airlock.tool_call.requested)" }],
    };
  }
  let data = input as Record<string, unknown>;
  if ("specversion" in data && typeof data["data"] === "object" && data["data"] !== null) {
    data = data["data"] as Record<string, unknown>;
  }
  const filled: Record<string, unknown> = { ...EVAL_DEFAULTS, ...data };
  const digest = actionDigest({
    agent_id: filled["agent_id"] as string,
    tool: filled["tool"] as string,
    args: filled["args"],
  });
  if (filled["action_digest"] === undefined) filled["action_digest"] = digest;
  const parsed = ToolCallRequested.safeParse(filled);
  if (!parsed.success) return { ok: false, issues: fromZod(parsed.error.issues, filled, keysOf(ToolCallRequested)) };
  if (parsed.data.action_digest !== digest) {
    return {
      ok: false,
      issues: [{ path: ["action_digest"], message: `is not the digest of agent_id, tool and args (${digest})` }],
    };
  }
  return { ok: true, call: parsed.data };
}

const CaseSpec = z.strictObject({
  name: z.string().min(1),
  event: z.record(z.string(), z.unknown()),
  expect: z.strictObject({ action: PolicyAction, rule: z.string().nullable().optional() }),
  /** The run's call count this call makes (for max_tool_calls); default 1. */
  run_calls: z.number().int().min(1).optional(),
});

/** One test case, ready to run. */
export interface PolicyCase {
  name: string;
  call: ToolCall;
  runCalls: number;
  expect: { action: Decision["action"]; rule?: string | null };
}

/** Parse a cases file; every problem comes back with its line and column. */
export function parseCases(text: string): { ok: true; cases: PolicyCase[] } | { ok: false; errors: PolicyError[] } {
  const source = parseSource(text);
  if (!source.ok) return source;
  const list = z.array(z.unknown()).safeParse(source.value);
  if (!list.success)
    return {
      ok: false,
      errors: [source.locate({ path: [], message: "a cases file is a list of {name, event, expect}" })],
    };
  const cases: PolicyCase[] = [];
  const issues: PolicyIssue[] = [];
  list.data.forEach((item, i) => {
    const spec = CaseSpec.safeParse(item);
    if (!spec.success) {
      for (const issue of fromZod(spec.error.issues, item, keysOf(CaseSpec)))
        issues.push({ ...issue, path: [i, ...issue.path] });
      return;
    }
    const completed = completeCall(spec.data.event);
    if (!completed.ok) {
      for (const issue of completed.issues) issues.push({ ...issue, path: [i, "event", ...issue.path] });
      return;
    }
    const { name, expect, run_calls: runCalls = 1 } = spec.data;
    cases.push({
      name,
      call: completed.call,
      runCalls,
      expect: expect.rule === undefined ? { action: expect.action } : expect,
    });
  });
  if (issues.length > 0) return { ok: false, errors: issues.map(source.locate) };
  return { ok: true, cases };
}

// The keys of a strict object schema, for "unknown key" messages about its top level.
function keysOf(schema: { shape: object }): (path: readonly (string | number)[]) => readonly string[] | undefined {
  return (path) => (path.length === 0 ? Object.keys(schema.shape) : undefined);
}

/** One case's outcome. */
export interface CaseResult {
  name: string;
  pass: boolean;
  expect: PolicyCase["expect"];
  decision: Decision;
}

/** Decide every case and compare: the action must match, and the rule too when the case names one (null: the defaults). */
export function runCases(policy: CompiledPolicy, cases: readonly PolicyCase[]): CaseResult[] {
  return cases.map(({ name, call, runCalls, expect }) => {
    const decision = decide(policy, call, { runCalls });
    const pass = decision.action === expect.action && (expect.rule === undefined || decision.rule === expect.rule);
    return { name, pass, expect, decision };
  });
}
