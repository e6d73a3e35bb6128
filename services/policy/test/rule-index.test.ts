import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, loadPolicy, type CompiledPolicy } from "../src/index.js";
import { RuleIndex } from "../src/core/rule-index.js";
import { call } from "./helpers.js";

// The index is an optimisation: deciding with it must give exactly what trying every rule in
// evaluation order gives. Checked on random policies and calls.

const TOOLS = ["a", "b", "a.x", "a.y", "b.z", "c/d", "c/e/f"];
const PATTERNS = [...TOOLS, "a.*", "*", "b*", "c/*", "c/**", "{a,b}.*", "?"];

const leaf = fc.oneof(
  fc.record({ tool: fc.constantFrom(...PATTERNS) }),
  fc.record({ agent: fc.constantFrom("ag-1", "ag-*", "other") }),
  fc.record({ field: fc.constant("tool"), eq: fc.constantFrom(...TOOLS) }),
  fc.record({ field: fc.constant("tool"), in: fc.subarray(TOOLS, { minLength: 1 }) }),
  fc.record({ field: fc.constant("args.n"), gt: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ field: fc.constant("args.s"), exists: fc.boolean() }),
);
const { condition } = fc.letrec<{ condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie("condition"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie("condition"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie("condition") }),
  ),
}));
const rules = fc.array(
  fc.record({
    priority: fc.integer({ min: 0, max: 3 }),
    when: condition,
    action: fc.constantFrom("allow", "deny", "escalate", "audit"),
  }),
  { maxLength: 25 },
);
const calls = fc.array(
  fc.record({
    tool: fc.constantFrom(...TOOLS, "unknown"),
    agent_id: fc.constantFrom("ag-1", "ag-2", "other"),
    args: fc.record({ n: fc.integer({ min: 0, max: 10 }), s: fc.constant("x") }, { requiredKeys: ["n"] }),
    metadata: fc.record({ require_approval: fc.boolean() }),
  }),
  { minLength: 1, maxLength: 10 },
);

function compile(ruleList: unknown[], sensitive: string[]): CompiledPolicy {
  const doc = {
    version: 1,
    name: "random",
    defaults: { action: "allow", approval: { reviewers: ["r1", "r2"] } },
    sensitive_tools: sensitive,
    rules: ruleList.map((rule, i) => ({ name: `r${i}`, ...(rule as object) })),
  };
  const loaded = loadPolicy(JSON.stringify(doc));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.policy;
}

/** The same policy with every rule in one unindexed list: the reference. */
function linear(policy: CompiledPolicy): CompiledPolicy {
  const sensitive = policy.document.sensitive_tools ?? [];
  const index = new RuleIndex(
    policy.rules.map((rule) => ({ rule, scope: undefined })),
    {
      names: new Set(sensitive.filter((tool) => !/[*?{]/.test(tool))),
      patterns: sensitive.filter((tool) => /[*?{]/.test(tool)),
    },
  );
  return { ...policy, index };
}

describe("the rule index", () => {
  it("decides exactly as trying every rule in order does", () => {
    fc.assert(
      fc.property(rules, calls, fc.subarray(PATTERNS, { maxLength: 2 }), (ruleList, callList, sensitive) => {
        const policy = compile(ruleList, sensitive);
        const reference = linear(policy);
        for (const c of callList) {
          const tool = call(c);
          // Twice: the second lookup is served from the index's per-tool cache.
          expect(decide(policy, tool, { runCalls: 1 })).toEqual(decide(reference, tool, { runCalls: 1 }));
          expect(decide(policy, tool, { runCalls: 1 })).toEqual(decide(reference, tool, { runCalls: 1 }));
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it("files exact names in the map and looks up only a tool's own rules", () => {
    const loaded = loadPolicy(
      JSON.stringify({
        version: 1,
        name: "i",
        defaults: { action: "allow" },
        rules: [
          { name: "a1", when: { tool: "a" }, action: "deny" },
          { name: "b1", when: { tool: "b" }, action: "deny" },
          { name: "glob", priority: 1, when: { tool: "a*" }, action: "audit" },
          { name: "any", priority: -1, when: { field: "args.x", exists: true }, action: "deny" },
        ],
      }),
    );
    if (!loaded.ok) throw new Error("invalid");
    const names = (tool: string) => loaded.policy.index.lookup(tool).rules.map((rule) => rule.name);
    expect(names("a")).toEqual(["glob", "a1", "any"]);
    expect(names("b")).toEqual(["b1", "any"]);
    expect(names("zzz")).toEqual(["any"]);
  });
});
