import { describe, expect, it } from "vitest";
import { unguardedComparisons } from "../src/index.js";
import { policyOf, withRules } from "./helpers.js";

// What `airlock policy check` warns about: a deny or escalate rule comparing a field nothing types.

const RULES = `  - { name: amount, when: { all: [{ tool: "pay.*" }, { field: args.amount, gt: 1 }] }, action: deny }
  - { name: exact, when: { all: [{ tool: pay.send }, { field: args.to.0, eq: x }] }, action: escalate }
  - { name: anywhere, when: { field: args.n, eq: 1 }, action: deny }
  - { name: context, when: { field: context.team, eq: a }, action: deny }
  - { name: typed, when: { field: context.environment, eq: production }, action: deny }
  - { name: guard, when: { field: args.zzz, exists: true }, action: deny }
  - { name: permissive, when: { field: args.zzz, eq: 1 }, action: allow }
  - name: narrowed
    when: { any: [{ tool: a }, { all: [{ tool: pay.send }, { field: args.amount, lt: 0 }] }] }
    action: deny
`;
const APPROVAL = "action: allow\napproval: { reviewers: [r] }";

describe("unguardedComparisons", () => {
  it("names the rule and field of each restrictive comparison no schema types", () => {
    const warnings = unguardedComparisons(policyOf(withRules(RULES, "", APPROVAL)));
    expect(warnings.map(({ rule, field, op }) => `${rule} ${field} ${op}`)).toEqual([
      "amount args.amount gt",
      "exact args.to.0 eq",
      "anywhere args.n eq",
      "context context.team eq",
      "narrowed args.amount lt",
    ]);
    expect(warnings[0]!.message).toBe("args.amount (gt) has no type guard: no tools schema types it for pay.*");
  });

  it("is silenced by schemas covering the field for every tool the rule can apply to", () => {
    const tools = `tools:
  "pay.*": { args: { type: object, properties: { amount: { type: number } } } }
  pay.send: { args: { type: object, properties: { to: { type: array, items: { type: string } } } } }
  "**": { args: { type: object, properties: { n: { enum: [1, 2] } } } }
`;
    const warnings = unguardedComparisons(policyOf(withRules(RULES, tools, APPROVAL)));
    expect(warnings.map(({ rule }) => rule)).toEqual(["context"]);
  });
});
