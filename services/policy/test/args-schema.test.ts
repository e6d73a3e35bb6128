import { describe, expect, it } from "vitest";
import { ARGS_SCHEMA_RULE, decide } from "../src/index.js";
import { call, errorsOf, policyOf, withRules } from "./helpers.js";

// `tools: { <name or glob>: { args: <schema> } }`: a call whose args do not conform is denied before any
// rule; a schema that is itself wrong is a policy error with its line and column.

const TOOLS = `tools:
  "payments.*":
    args:
      type: object
      required: [amount]
      additionalProperties: false
      properties:
        amount: { type: number, exclusiveMinimum: 0, maximum: 1000000 }
        currency: { type: string, enum: [EUR, USD] }
        memo: { type: string, minLength: 1, maxLength: 5, pattern: "^[a-z]+$" }
        lines: { type: array, maxItems: 2, items: { type: integer, minimum: 1 } }
        flag: { type: boolean }
        none: { type: "null" }
  payments.transfer:
    args: { type: object, required: [to] }
`;
const policy = policyOf(withRules('  - { name: pay, when: { tool: "payments.*" }, action: allow }\n', TOOLS));
const decideArgs = (args: Record<string, unknown>, tool = "payments.refund") =>
  decide(policy, { ...call({ tool }), args }, { runCalls: 1 });

describe("tools schemas: calls", () => {
  it("a call that conforms is decided by the rules", () => {
    const ok = { amount: 10, currency: "EUR", memo: "abc", lines: [1, 2], flag: true, none: null };
    expect(decideArgs(ok)).toMatchObject({ action: "allow", rule: "pay" });
  });

  it.each([
    [{ amount: "250000" }, "args.amount: is a string, expected a number"],
    [{ amount: [5] }, "args.amount: is an array, expected a number"],
    [{ amount: { value: 5 } }, "args.amount: is an object, expected a number"],
    [{ amount: null }, "args.amount: is null, expected a number"],
    [{}, "args.amount: is missing (required)"],
    [{ amount: 2 ** 60 }, "args.amount: is a number past ±2^53, expected a number within ±2^53"],
    [{ amount: Infinity }, "args.amount: is not a finite number, expected a number"],
    [{ amount: 0 }, "args.amount: 0 is not more than 0 (exclusiveMinimum)"],
    [{ amount: 2000000 }, "args.amount: 2000000 is more than the maximum 1000000"],
    [{ amount: 1, to: "X" }, "args.to: is not allowed (additionalProperties: false)"],
    [{ amount: 1, currency: "GBP" }, 'args.currency: is not one of: "EUR", "USD"'],
    [{ amount: 1, memo: "" }, "args.memo: is 0 characters, fewer than minLength 1"],
    [{ amount: 1, memo: "abcdef" }, "args.memo: is 6 characters, more than maxLength 5"],
    [{ amount: 1, memo: "AB" }, "args.memo: does not match the pattern ^[a-z]+$"],
    [{ amount: 1, lines: [1, 2, 3] }, "args.lines: has 3 items, more than maxItems 2"],
    [{ amount: 1, lines: [1, 1.5] }, "args.lines[1]: is a number, expected an integer"],
    [{ amount: 1, lines: [0] }, "args.lines[0]: 0 is less than the minimum 1"],
    [{ amount: 1, flag: "true" }, "args.flag: is a string, expected a boolean"],
  ])("%j is denied: %s", (args, message) => {
    const decision = decideArgs(args);
    expect(decision).toMatchObject({ action: "deny", rule: ARGS_SCHEMA_RULE });
    expect(decision.reason).toContain(`args do not conform to tools["payments.*"].args: ${message}`);
  });

  it("a tool matched by several keys conforms to each schema", () => {
    expect(decideArgs({ amount: 1 }, "payments.transfer").reason).toContain(
      'tools["payments.transfer"].args: args.to: is missing (required)',
    );
    expect(decideArgs({ amount: 1, to: "x" }, "payments.transfer").reason).toContain("args.to: is not allowed");
  });

  it("names a few violations, not all of a hostile call's", () => {
    const args = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const { reason } = decideArgs({ amount: 1, ...args });
    expect(reason.split("; ")).toHaveLength(5);
  });

  it("a property named __proto__ is an ordinary name", () => {
    const args = JSON.parse('{"amount": 1, "__proto__": {"x": 1}}') as Record<string, unknown>;
    expect(decideArgs(args).reason).toContain("args.__proto__: is not allowed");
  });

  it("beats every rule and sensitive_tools: a non-conforming call is denied before they are looked at", () => {
    const text = withRules(
      `  - { name: top, priority: 1000, when: { tool: t }, action: allow }\n`,
      `sensitive_tools: [t]\ntools:\n  t: { args: { type: object, required: [x] } }\n`,
      "action: allow\napproval: { reviewers: [a] }",
    );
    const p = policyOf(text);
    expect(decide(p, call({ tool: "t", args: {} }), { runCalls: 1 })).toMatchObject({
      action: "deny",
      rule: "args-schema",
    });
    expect(decide(p, call({ tool: "t", args: { x: 1 } }), { runCalls: 1 })).toMatchObject({ action: "escalate" });
    expect(decide(p, call({ tool: "u", args: {} }), { runCalls: 1 })).toMatchObject({ action: "allow" });
  });

  it("is part of the document, so it changes policy.version", () => {
    const without = policyOf(withRules(""));
    const withTools = policyOf(withRules("", "tools:\n  t: { args: { type: object } }\n"));
    expect(withTools.identity.version).not.toBe(without.identity.version);
  });
});

describe("tools schemas: refused at load, with line and column", () => {
  const HEAD = "version: 1\nname: t\ndefaults: { action: allow }\ntools:\n";
  it.each([
    ["  t: { args: { type: string } }\n", ["5:22: tools.t.args.type: a tool's args are a mapping"]],
    ["  t: { args: { type: object, colour: red } }\n", ['5:30: tools.t.args.colour: unknown keyword "colour"']],
    ["  t: { args: { type: obj } }\n", ["5:22: tools.t.args.type: type is one of: object, string"]],
    [
      "  t: { args: { type: object, properties: { n: {} } } }\n",
      ["5:47: tools.t.args.properties.n: a schema needs a type or an enum"],
    ],
    [
      "  t: { args: { type: object, properties: { n: { type: string, minimum: 1 } } } }\n",
      ["5:63: tools.t.args.properties.n.minimum: minimum needs type: number or integer"],
    ],
    [
      '  t: { args: { type: object, properties: { n: { type: string, pattern: "[" } } } }\n',
      ["5:72: tools.t.args.properties.n.pattern: bad regular expression"],
    ],
    [
      "  t: { args: { type: object, properties: { n: { type: number, minimum: 5, maximum: 1 } } } }\n",
      ["5:47: tools.t.args.properties.n: minimum 5 is above maximum 1"],
    ],
    [
      "  t: { args: { type: object, properties: { n: { type: number, maximum: 1e300 } } } }\n",
      ["5:72: tools.t.args.properties.n.maximum: maximum is a number within ±2^53"],
    ],
    [
      "  t: { args: { type: object, required: [a, a] } }\n",
      ["5:40: tools.t.args.required: required lists a name twice"],
    ],
    [
      "  t: { args: { type: array, maxItems: -1 } }\n",
      [
        "5:22: tools.t.args.type: a tool's args are a mapping",
        "5:39: tools.t.args.maxItems: maxItems is a whole number ≥ 0",
      ],
    ],
    [
      "  t: { argz: { type: object } }\n",
      [
        "5:6: tools.t.args: missing: a tool needs an args schema",
        '5:8: tools.t.argz: unknown key "argz" (expected one of: args)',
      ],
    ],
  ])("%s", (tools, expected) => {
    const errors = errorsOf(HEAD + tools);
    expect(errors).toHaveLength(expected.length);
    expected.forEach((fragment, i) => expect(errors[i]).toContain(fragment));
  });

  it("refuses a rule named args-schema", () => {
    expect(errorsOf(withRules("  - { name: args-schema, when: { tool: t }, action: deny }\n"))).toEqual([
      '5:13: rules[0].name: "args-schema" is the name of tools schema denials',
    ]);
  });
});
