import { describe, expect, it } from "vitest";
import { compileCondition } from "../src/core/predicate.js";
import { checkOperand, OPERATORS, type Operator } from "../src/core/operators.js";
import { call } from "./helpers.js";

// Each operator against the value at `args.v`: [operand, value, matches]. `undefined` as the value
// means args has no `v` at all (a missing path).
const MISSING = Symbol("missing");
type Row = [operand: unknown, value: unknown, expected: boolean];

const TABLE: Record<Operator, Row[]> = {
  eq: [
    ["prod", "prod", true],
    ["prod", "dev", false],
    [5, 5, true],
    [5, "5", false], // type mismatch
    [true, true, true],
    [null, null, true],
    [[1, 2], [1, 2], true],
    [[1, 2], [2, 1], false],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ["prod", MISSING, false],
    [null, MISSING, false],
  ],
  ne: [
    ["prod", "dev", true],
    ["prod", "prod", false],
    [5, "5", false], // type mismatch is false, never "not equal"
    ["prod", MISSING, false],
  ],
  in: [
    [["production", "staging"], "production", true],
    [["production", "staging"], "dev", false],
    [[1, 2, 3], 2, true],
    [[1, 2, 3], "2", false],
    [[], "x", false],
    [["x"], MISSING, false],
  ],
  not_in: [
    [["production"], "dev", true],
    [["production"], "production", false],
    [["production"], 5, false], // type mismatch
    [["production"], MISSING, false],
  ],
  gt: [
    [1000, 1001, true],
    [1000, 1000, false],
    [1000, 999.5, false],
    [1000, "2000", false],
    ["2024-01-01", "2025-06-01", true],
    ["b", "a", false],
    [1000, MISSING, false],
  ],
  gte: [
    [1000, 1000, true],
    [1000, 999, false],
    [1000, null, false],
    [1000, MISSING, false],
  ],
  lt: [
    [10, 9, true],
    [10, 10, false],
    [10, "9", false],
    [10, MISSING, false],
  ],
  lte: [
    [10, 10, true],
    [10, 11, false],
    [10, [9], false],
    [10, MISSING, false],
  ],
  contains: [
    ["DROP", "please DROP TABLE", true],
    ["DROP", "select 1", false],
    ["admin", ["user", "admin"], true],
    [{ id: 1 }, [{ id: 1 }, { id: 2 }], true],
    ["x", ["y"], false],
    [1, "a1", false], // a number is not a substring
    ["x", { x: 1 }, false],
    ["x", MISSING, false],
  ],
  starts_with: [
    ["/etc/", "/etc/passwd", true],
    ["/etc/", "/home/me", false],
    ["1", 123, false],
    ["/etc/", MISSING, false],
  ],
  matches: [
    ["^rm\\s+-rf", "rm -rf /", true],
    ["^rm\\s+-rf", "echo rm -rf", false],
    ["\\p{Lu}{3}", "ABC", true], // Unicode-aware
    ["(?i)^drop table", "DROP TABLE users", true], // (?i): case-insensitive
    ["^drop table", "DROP TABLE users", false],
    ["1", 1, false],
    [".*", MISSING, false],
  ],
  glob: [
    ["s3://prod-*/**", "s3://prod-eu/a/b", true],
    ["*.csv", "report.csv", true],
    ["*.csv", "dir/report.csv", false], // * does not cross /
    ["**/*.csv", "dir/report.csv", true],
    ["*.csv", 5, false],
    ["*", MISSING, false],
  ],
  exists: [
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
          expect(predicate(call({ args }))).toBe(expected);
        },
      );
    });
  }

  it("a path through a non-object is missing, not an error", () => {
    const exists = compileCondition({ field: "args.v.w.x", exists: true });
    const eq = compileCondition({ field: "args.v.w", eq: 1 });
    expect(exists(call({ args: { v: "text" } }))).toBe(false);
    expect(eq(call({ args: { v: null } }))).toBe(false);
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
