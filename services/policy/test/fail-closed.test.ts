import { describe, expect, it } from "vitest";
import type { Condition } from "../src/core/condition.js";
import { compileCondition } from "../src/core/predicate.js";
import { and, applies, not, or, UNKNOWN, type Truth } from "../src/core/truth.js";
import { decide } from "../src/index.js";
import { call, policyOf, withRules } from "./helpers.js";

// Three-valued conditions (truth.ts): a comparison that cannot be decided is unknown, combinators follow
// Kleene, and a deny or escalate rule applies on unknown while an allow or audit rule does not.

const VALUES: Truth[] = [true, false, UNKNOWN];
const T: Condition = { field: "args.t", eq: true };
const F: Condition = { field: "args.t", eq: false };
const U: Condition = { field: "args.missing", eq: true };
const holds = (condition: Condition) => compileCondition(condition)(call({ args: { t: true } }));

describe("Kleene logic", () => {
  it("and, or, not over every pair", () => {
    const table = VALUES.flatMap((a) => VALUES.map((b) => [a, b, and(a, b), or(a, b)]));
    expect(table).toEqual([
      [true, true, true, true],
      [true, false, false, true],
      [true, UNKNOWN, UNKNOWN, true],
      [false, true, false, true],
      [false, false, false, false],
      [false, UNKNOWN, false, UNKNOWN],
      [UNKNOWN, true, UNKNOWN, true],
      [UNKNOWN, false, false, UNKNOWN],
      [UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN],
    ]);
    expect(VALUES.map(not)).toEqual([false, true, UNKNOWN]);
  });

  it("the compiled combinators agree: one false decides all, one true decides any, wherever it is", () => {
    expect(holds({ all: [U, F] })).toBe(false);
    expect(holds({ all: [T, U] })).toBe(UNKNOWN);
    expect(holds({ any: [U, T] })).toBe(true);
    expect(holds({ any: [F, U] })).toBe(UNKNOWN);
    expect(holds({ not: U })).toBe(UNKNOWN);
    expect(holds({ not: { not: U } })).toBe(UNKNOWN);
    expect(holds({ all: [{ field: "args.missing", exists: true }, U] })).toBe(false); // exists guards
  });

  it("only a restrictive rule applies on unknown", () => {
    expect(["deny", "escalate", "audit", "allow"].map((a) => applies(a as "deny", UNKNOWN))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(applies("allow", true)).toBe(true);
    expect(applies("deny", false)).toBe(false);
  });
});

describe("decisions on undecidable input", () => {
  const policy = policyOf(
    withRules(
      `  - { name: big, priority: 10, when: { field: args.amount, gt: 1000 }, action: deny, reason: Too big }
  - { name: not-prod, priority: 9, when: { not: { field: context.environment, eq: production } }, action: escalate }
  - { name: small-ok, priority: 20, when: { field: args.amount, lte: 1000 }, action: allow }
`,
      "",
      "action: allow\napproval: { reviewers: [alice] }",
    ),
  );
  const decideArgs = (args: Record<string, unknown>, environment = "production") =>
    decide(policy, { ...call({ context: { environment } }), args }, { runCalls: 1 });

  it("a number is decided as before", () => {
    expect(decideArgs({ amount: 500 })).toMatchObject({ action: "allow", rule: "small-ok" });
    expect(decideArgs({ amount: 5000 })).toMatchObject({ action: "deny", rule: "big", reason: "Too big" });
  });

  it.each([
    ["a string", { amount: "250000" }, "args.amount is a string, gt needs a number"],
    ["an array", { amount: [250000] }, "args.amount is an array, gt needs a number"],
    ["an object", { amount: { n: 250000 } }, "args.amount is an object, gt needs a number"],
    ["null", { amount: null }, "args.amount is null, gt needs a number"],
    ["missing", {}, "args.amount is missing, gt needs a number"],
    ["past 2^53", { amount: 2 ** 60 }, "args.amount is a number past ±2^53, gt needs a number"],
    ["Infinity (JSON's 1e400)", { amount: Infinity }, "args.amount is not a finite number, gt needs a number"],
  ])("%s: the permissive rule does not apply, the deny rule does, and says why", (_, args, why) => {
    expect(decideArgs(args)).toMatchObject({
      action: "deny",
      rule: "big",
      reason: `Too big (applied because undecidable: ${why})`,
    });
  });

  it("not over a missing field is unknown, so a restrictive rule under it applies", () => {
    const decision = decide(policy, { ...call({ context: {} }), args: { amount: 10 } }, { runCalls: 1 });
    expect(decision).toMatchObject({ action: "allow", rule: "small-ok" }); // small-ok outranks it
    const low = policyOf(
      withRules(
        "  - { name: not-prod, when: { not: { field: context.environment, eq: production } }, action: escalate }\n",
        "",
        "action: allow\napproval: { reviewers: [alice] }",
      ),
    );
    expect(decide(low, call({ context: {} }), { runCalls: 1 })).toMatchObject({
      action: "escalate",
      rule: "not-prod",
      reason: "rule not-prod (applied because undecidable: context.environment is missing, eq needs a string)",
    });
    expect(decide(low, call({ context: { environment: "production" } }), { runCalls: 1 })).toMatchObject({
      action: "allow",
      rule: null,
    });
  });

  it("names only the comparisons that decided the unknown", () => {
    const p = policyOf(
      withRules(
        "  - { name: r, when: { any: [{ field: args.a, eq: 1 }, { field: args.b, eq: 1 }, { field: args.c, eq: 1 }] }, action: deny }\n",
      ),
    );
    expect(decide(p, call({ args: { a: "1", b: 2 } }), { runCalls: 1 }).reason).toBe(
      "rule r (applied because undecidable: args.a is a string, eq needs a number; args.c is missing, eq needs a number)",
    );
  });

  it("an escalate rule that cannot be decided is the route of a sensitive tool's escalation", () => {
    const p = policyOf(
      withRules(
        `  - { name: ok, priority: 5, when: { tool: t }, action: allow }
  - { name: route, when: { field: args.n, gt: 1 }, action: escalate, approval: { reviewers: [bob] } }
`,
        "sensitive_tools: [t]\n",
        "action: allow\napproval: { reviewers: [alice] }",
      ),
    );
    const decision = decide(p, call({ tool: "t", args: { n: "2" } }), { runCalls: 1 });
    expect(decision).toMatchObject({ action: "escalate", rule: "route", approval: { reviewers: ["bob"] } });
  });
});
