import { describe, expect, it } from "vitest";
import { compileCondition } from "../src/core/predicate.js";
import { checkOperand, OPERATORS, type Operator } from "../src/core/operators.js";
import { UNKNOWN, type Truth } from "../src/core/truth.js";
import { call } from "./helpers.js";

// Each operator against the value at `args.v`: [operand, value, truth]. MISSING as the value means args
// has no `v` at all (a missing path). U: the comparison cannot be decided (truth.ts) — a missing path, a
// value of another JSON type than the operand's, a number past ±2^53.
const MISSING = Symbol("missing");
const U = UNKNOWN;
type Row = [operand: unknown, value: unknown, expected: Truth];

const TABLE: Record<Operator, Row[]> = {
  eq: [
    ["prod", "prod", true],
    ["prod", "dev", false],
    [5, 5, true],
    [5, "5", U], // type mismatch
    [true, true, true],
    [null, null, true],
    [null, "x", U],
    [[1, 2], [1, 2], true],
    [[1, 2], [2, 1], false],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [5, 2 ** 53 + 2, U], // past ±2^53
    [5, Infinity, U], // what JSON.parse makes of 1e400
    ["prod", MISSING, U],
    [null, MISSING, U],
  ],
  ne: [
    ["prod", "dev", true],
    ["prod", "prod", false],
    [5, "5", U], // not comparable is never "not equal"
    ["prod", ["prod"], U],
    ["prod", MISSING, U],
  ],
  in: [
    [["production", "staging"], "production", true],
    [["production", "staging"], "dev", false],
    [[1, 2, 3], 2, true],
    [[1, 2, 3], "2", U],
    [["a", 1], 1, true],
    [["a", 1], 2, false],
    [["a", 1], true, U],
    [[{ k: 1 }], { k: 1 }, true],
    [[{ k: 1 }], "k", U],
    [["x"], MISSING, U],
  ],
  not_in: [
    [["production"], "dev", true],
    [["production"], "production", false],
    [["production"], 5, U], // type mismatch
    [["production"], ["production"], U],
    [["production"], MISSING, U],
  ],
  gt: [
    [1000, 1001, true],
    [1000, 1000, false],
    [1000, 999.5, false],
    [1000, "2000", U],
    [1000, [2000], U],
    [1000, { amount: 2000 }, U],
    [1000, 2 ** 60, U],
    [1000, -Infinity, U],
    ["2024-01-01", "2025-06-01", true],
    ["b", "a", false],
    [1000, MISSING, U],
  ],
  gte: [
    [1000, 1000, true],
    [1000, 999, false],
    [1000, null, U],
    [1000, MISSING, U],
  ],
  lt: [
    [10, 9, true],
    [10, 10, false],
    [10, "9", U],
    [10, MISSING, U],
  ],
  lte: [
    [10, 10, true],
    [10, 11, false],
    [10, [9], U],
    [10, true, U],
    [10, MISSING, U],
  ],
  contains: [
    ["DROP", "please DROP TABLE", true],
    ["DROP", "select 1", false],
    ["admin", ["user", "admin"], true],
    [{ id: 1 }, [{ id: 1 }, { id: 2 }], true],
    ["x", ["y"], false],
    ["x", [], false],
    ["admin", [["admin"]], U], // Kleene any over the items: an item of another type is undecided
    ["admin", [1, "admin"], true],
    [1, "a1", U], // a number is not a substring
    ["x", { x: 1 }, U],
    ["x", MISSING, U],
  ],
  starts_with: [
    ["/etc/", "/etc/passwd", true],
    ["/etc/", "/home/me", false],
    ["1", 123, U],
    ["/etc/", MISSING, U],
  ],
  matches: [
    ["^rm\\s+-rf", "rm -rf /", true],
    ["^rm\\s+-rf", "echo rm -rf", false],
    ["\\p{Lu}{3}", "ABC", true], // Unicode-aware
    ["(?i)^drop table", "DROP TABLE users", true], // (?i): case-insensitive
    ["^drop table", "DROP TABLE users", false],
    ["1", 1, U],
    ["rm", ["rm -rf /"], U],
    [".*", MISSING, U],
  ],
  glob: [
    ["s3://prod-*/**", "s3://prod-eu/a/b", true],
    ["*.csv", "report.csv", true],
    ["*.csv", "dir/report.csv", false], // * does not cross /
    ["**/*.csv", "dir/report.csv", true],
    ["*.csv", 5, U],
    ["*", MISSING, U],
  ],
  exists: [
    // Two-valued: the guard of an optional field.
    [true, "x", true],
    [true, null, true], // null is a value
    [true, MISSING, false],
    [false, MISSING, true],
    [false, 0, false],
  ],
};

describe("operators", () => {
  it("the table covers every operator", () => {
    expect(Object.keys(TABLE).sort()).toEqual([...OPERATORS].sort());
  });

  for (const op of OPERATORS) {
    describe(op, () => {
      it.each(TABLE[op].map(([operand, value, expected]) => ({ operand, value, expected })))(
        "$operand against $value → $expected",
        ({ operand, value, expected }) => {
          expect(checkOperand(op, operand)).toBeUndefined();
          const predicate = compileCondition({ field: "args.v", [op]: operand });
          const args = value === MISSING ? {} : { v: value };
          // Spread, not call(args): a digest cannot be made of Infinity, which JSON.parse makes of 1e400.
          expect(predicate({ ...call(), args })).toBe(expected);
        },
      );
    });
  }

  it("a path through a non-object is missing, not an error", () => {
    const exists = compileCondition({ field: "args.v.w.x", exists: true });
    const eq = compileCondition({ field: "args.v.w", eq: 1 });
    expect(exists(call({ args: { v: "text" } }))).toBe(false);
    expect(eq(call({ args: { v: null } }))).toBe(UNKNOWN);
    expect(compileCondition({ field: "args.v.w", exists: false })(call({ args: { v: 3 } }))).toBe(true);
  });

  it("a numeric segment indexes an array; anything else on an array is missing", () => {
    const first = compileCondition({ field: "args.items.0.sku", eq: "A" });
    expect(first(call({ args: { items: [{ sku: "A" }] } }))).toBe(true);
    expect(compileCondition({ field: "args.items.1", exists: true })(call({ args: { items: [1] } }))).toBe(false);
    expect(compileCondition({ field: "args.items.length", exists: true })(call({ args: { items: [1] } }))).toBe(false);
  });

  it("never follows the prototype chain", () => {
    for (const field of ["args.constructor", "args.__proto__", "args.toString", "context.hasOwnProperty"]) {
      expect(compileCondition({ field, exists: true })(call())).toBe(false);
    }
  });

  it("reads top-level fields of the call and its context and metadata", () => {
    const c = call({
      tool: "t",
      agent_id: "a",
      run_id: "r",
      context: { environment: "production", user: "u" },
      metadata: { require_approval: true, team: "x" },
    });
    expect(compileCondition({ field: "tool", eq: "t" })(c)).toBe(true);
    expect(compileCondition({ field: "agent_id", eq: "a" })(c)).toBe(true);
    expect(compileCondition({ field: "run_id", eq: "r" })(c)).toBe(true);
    expect(compileCondition({ field: "context.environment", in: ["production"] })(c)).toBe(true);
    expect(compileCondition({ field: "context.user", eq: "u" })(c)).toBe(true);
    expect(compileCondition({ field: "metadata.team", eq: "x" })(c)).toBe(true);
    expect(compileCondition({ field: "reply_to", exists: false })(c)).toBe(true);
  });

  it("a regex is stateless between calls (no g flag carry-over)", () => {
    const predicate = compileCondition({ field: "args.v", matches: "a" });
    for (let i = 0; i < 3; i++) expect(predicate(call({ args: { v: "a" } }))).toBe(true);
  });

  describe("operand checks", () => {
    it.each([
      ["in", "production", "in needs a list of values"],
      ["not_in", 3, "not_in needs a list of values"],
      ["gt", true, "gt needs a number or a string"],
      ["lte", [1], "lte needs a number or a string"],
      ["starts_with", 1, "starts_with needs a string"],
      ["glob", 1, "glob needs a string"],
      ["exists", "yes", "exists needs true or false"],
      ["matches", 5, "matches needs a regular expression string"],
      ["in", [], "in needs at least one value"],
      ["not_in", [], "not_in needs at least one value"],
      ["gt", 2 ** 53 + 2, "gt compares exactly only numbers within ±2^53"],
      ["in", [1, 1e300], "in compares exactly only numbers within ±2^53"],
    ] as [Operator, unknown, string][])("%s with %j is refused", (op, operand, message) => {
      expect(checkOperand(op, operand)).toBe(message);
    });

    it("a bad regex is refused with the engine's reason", () => {
      expect(checkOperand("matches", "([a-z]")).toMatch(
        /^bad regular expression: Invalid regular expression: .*Unterminated/,
      );
      expect(checkOperand("matches", "a{2,1}")).toMatch(
        /^bad regular expression: Invalid regular expression: .*out of order/,
      );
    });
  });
});
