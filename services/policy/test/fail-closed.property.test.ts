import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Condition } from "../src/core/condition.js";
import { decidableKind, type JsonKind } from "../src/core/json-value.js";
import { decide, OPERATORS, RESTRICTIVENESS, type Operator, type ToolCall } from "../src/index.js";
import { call, policyOf } from "./helpers.js";

// For every restrictive rule shape — each operator, deny or escalate, plain or under all/any/not-not,
// with permissive rules around it — and every value at its path that is of another JSON type than the
// comparison was written for (or a number past ±2^53, or the path missing), the decision is never less
// restrictive than for a value that matches (deny > escalate > audit > allow).

const MISSING = Symbol("missing");
type Op = Exclude<Operator, "exists">;

/** An operand, a value that makes the comparison true, and the kinds the comparison decides on. */
interface Shape {
  op: Op;
  operand: unknown;
  match: unknown;
  kinds: readonly JsonKind[];
}

const str = fc.string({ minLength: 1, maxLength: 8 });
const int = fc.integer({ min: -1_000_000, max: 1_000_000 });
const scalar = fc.oneof(str, int);
const kind = (value: unknown) => decidableKind(value)!;

const shapes: Record<Op, fc.Arbitrary<Shape>> = {
  eq: fc.oneof(scalar, fc.boolean()).map((v) => ({ op: "eq", operand: v, match: v, kinds: [kind(v)] })),
  ne: scalar.map((v) => ({ op: "ne", operand: v, match: typeof v === "string" ? `${v}x` : v + 1, kinds: [kind(v)] })),
  in: fc.oneof(fc.array(str, { minLength: 1 }), fc.array(int, { minLength: 1 })).map((list) => ({
    op: "in",
    operand: list,
    match: list[0],
    kinds: [kind(list[0])],
  })),
  not_in: fc.oneof(fc.array(str, { minLength: 1 }), fc.array(int, { minLength: 1 })).map((list) => ({
    op: "not_in",
    operand: list,
    match: typeof list[0] === "string" ? `${list.join("")}x` : Math.max(...(list as number[])) + 1,
    kinds: [kind(list[0])],
  })),
  gt: fc.oneof(
    int.map((n) => ({ op: "gt" as const, operand: n, match: n + 1, kinds: ["number" as const] })),
    str.map((s) => ({ op: "gt" as const, operand: s, match: `${s}a`, kinds: ["string" as const] })),
  ),
  gte: int.map((n) => ({ op: "gte", operand: n, match: n, kinds: ["number"] })),
  lt: fc.oneof(
    int.map((n) => ({ op: "lt" as const, operand: n, match: n - 1, kinds: ["number" as const] })),
    str.map((s) => ({ op: "lt" as const, operand: s, match: "", kinds: ["string" as const] })),
  ),
  lte: int.map((n) => ({ op: "lte", operand: n, match: n, kinds: ["number"] })),
  contains: fc.oneof(
    str.map((s) => ({ op: "contains" as const, operand: s, match: `<${s}>`, kinds: ["string", "array"] as const })),
    int.map((n) => ({ op: "contains" as const, operand: n, match: [n], kinds: ["array"] as const })),
  ),
  starts_with: str.map((s) => ({ op: "starts_with", operand: s, match: `${s}tail`, kinds: ["string"] })),
  matches: fc
    .constantFrom(["^rm\\s+-rf", "rm -rf /"], ["(?i)drop table", "DROP TABLE t"], ["\\d{3}", "a123"])
    .map(([pattern, match]) => ({ op: "matches", operand: pattern, match, kinds: ["string"] })),
  glob: fc
    .constantFrom(["prod-*", "prod-eu"], ["**/*.csv", "a/b.csv"], ["s3://x/*", "s3://x/y"])
    .map(([pattern, match]) => ({ op: "glob", operand: pattern, match, kinds: ["string"] })),
};

// A value the comparison cannot decide on: of another JSON type, a number past ±2^53, or no value at all.
const otherValue = (kinds: readonly JsonKind[]) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).filter((value) => !kinds.includes(decidableKind(value)!)),
    fc.constantFrom<unknown>(MISSING, 2 ** 53 + 2, -(2 ** 60), 1e300, Infinity, -Infinity),
  );

const wrap = (leaf: Condition) =>
  fc.constantFrom<Condition>(
    leaf,
    { all: [{ tool: "t" }, leaf] },
    { any: [{ agent: "nobody" }, leaf] },
    { not: { not: leaf } },
  );

const DENIAL_ORDER = (action: keyof typeof RESTRICTIVENESS) => RESTRICTIVENESS[action];

describe("fail closed (property)", () => {
  it.each(OPERATORS.filter((op): op is Op => op !== "exists"))(
    "%s: a value of another type, or none, is never decided less restrictively than a match",
    (op) => {
      const arbitrary = shapes[op].chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          when: wrap({ field: "args.v", [shape.op]: shape.operand }),
          action: fc.constantFrom("deny" as const, "escalate" as const),
          permissive: fc.constantFrom("allow" as const, "audit" as const),
          permissivePriority: fc.integer({ min: -5, max: 15 }),
          other: otherValue(shape.kinds),
        }),
      );
      fc.assert(
        fc.property(arbitrary, ({ shape, when, action, permissive, permissivePriority, other }) => {
          const policy = policyOf(
            JSON.stringify({
              version: 1,
              name: "p",
              defaults: { action: "allow", approval: { reviewers: ["alice"] } },
              rules: [
                { name: "restrict", priority: 5, when, action },
                // A permission on the same field, above or below: it must not be earned by an undecidable value.
                {
                  name: "permit",
                  priority: permissivePriority,
                  when: { field: "args.v", [shape.op]: shape.operand },
                  action: permissive,
                },
                { name: "catch-all", when: { tool: "t" }, action: permissive },
              ],
            }),
          );
          const decideOn = (value: unknown) => {
            const c: ToolCall = { ...call({ tool: "t" }), args: value === MISSING ? {} : { v: value } };
            return decide(policy, c, { runCalls: 1 });
          };
          const matched = decideOn(shape.match);
          const undecided = decideOn(other);
          if (permissivePriority <= 5) expect(matched.action).toBe(action); // the match does match
          expect(DENIAL_ORDER(undecided.action)).toBeGreaterThanOrEqual(DENIAL_ORDER(matched.action));
          expect(undecided.action).toBe(action);
        }),
        { numRuns: 300 },
      );
    },
  );
});
