import { describe, expect, it } from "vitest";
import type { Condition } from "../src/core/condition.js";
import { compileCondition, toolScope } from "../src/core/predicate.js";
import { UNKNOWN } from "../src/core/truth.js";
import { call } from "./helpers.js";

const T: Condition = { field: "args.t", eq: true };
const F: Condition = { field: "args.f", eq: true };
const c = call({ args: { t: true, f: false } });
const holds = (condition: Condition) => compileCondition(condition)(c);

describe("combinators", () => {
  it("all: every part holds", () => {
    expect(holds({ all: [T] })).toBe(true);
    expect(holds({ all: [T, T, T] })).toBe(true);
    expect(holds({ all: [T, F] })).toBe(false);
    expect(holds({ all: [F, T] })).toBe(false);
  });

  it("any: at least one part holds", () => {
    expect(holds({ any: [F, T] })).toBe(true);
    expect(holds({ any: [T] })).toBe(true);
    expect(holds({ any: [F, F] })).toBe(false);
  });

  it("not: the part does not hold", () => {
    expect(holds({ not: T })).toBe(false);
    expect(holds({ not: F })).toBe(true);
    expect(holds({ not: { not: T } })).toBe(true);
  });

  it("not over a missing path: the comparison is unknown, and so is its negation", () => {
    expect(holds({ not: { field: "args.missing", eq: 1 } })).toBe(UNKNOWN);
    expect(holds({ not: { field: "args.t", eq: "yes" } })).toBe(UNKNOWN);
  });

  it("nest", () => {
    expect(holds({ all: [{ any: [F, { not: F }] }, { not: { all: [T, F] } }] })).toBe(true);
    expect(holds({ any: [{ all: [T, F] }, { not: { any: [T] } }] })).toBe(false);
  });
});

describe("tool and agent globs", () => {
  const tool = (pattern: string, name: string) => compileCondition({ tool: pattern })(call({ tool: name }));
  const agent = (pattern: string, name: string) => compileCondition({ agent: pattern })(call({ agent_id: name }));

  it.each([
    ["payments.*", "payments.transfer", true],
    ["payments.*", "payments", false],
    ["payments.*", "refunds.transfer", false],
    ["delete_*", "delete_database", true],
    ["github/*", "github/issues", true],
    ["github/*", "github/repos/delete", false],
    ["github/**", "github/repos/delete", true],
    ["{read,list}_*", "list_files", true],
    ["{read,list}_*", "write_files", false],
    ["file.?", "file.a", true],
    ["exact_name", "exact_name", true],
    ["exact_name", "exact_name_2", false],
    ["*", ".hidden", true],
  ])("tool %s vs %s → %s", (pattern, name, expected) => {
    expect(tool(pattern, name)).toBe(expected);
  });

  it.each([
    ["finance-*", "finance-agent", true],
    ["finance-*", "ops-agent", false],
    ["*-prod", "deployer-prod", true],
    ["ops-agent", "ops-agent", true],
  ])("agent %s vs %s → %s", (pattern, name, expected) => {
    expect(agent(pattern, name)).toBe(expected);
  });
});

describe("tool scope (what the index files a rule under)", () => {
  it("a tool leaf, exact or glob", () => {
    expect(toolScope({ tool: "a" })).toEqual({ names: new Set(["a"]), patterns: [] });
    expect(toolScope({ tool: "a.*" })).toEqual({ names: new Set(), patterns: ["a.*"] });
  });

  it("field: tool with eq, in and glob", () => {
    expect(toolScope({ field: "tool", eq: "a" })).toEqual({ names: new Set(["a"]), patterns: [] });
    expect(toolScope({ field: "tool", in: ["a", "b"] })).toEqual({ names: new Set(["a", "b"]), patterns: [] });
    expect(toolScope({ field: "tool", glob: "a*" })).toEqual({ names: new Set(), patterns: ["a*"] });
    expect(toolScope({ field: "tool", ne: "a" })).toBeUndefined();
    expect(toolScope({ field: "args.tool", eq: "a" })).toBeUndefined();
  });

  it("all takes its narrowest part; any the union, unless a part is unscoped; not never narrows", () => {
    expect(toolScope({ all: [T, { tool: "x.*" }, { tool: "y" }] })).toEqual({ names: new Set(["y"]), patterns: [] });
    expect(toolScope({ all: [T, F] })).toBeUndefined();
    expect(toolScope({ any: [{ tool: "a" }, { tool: "b.*" }] })).toEqual({ names: new Set(["a"]), patterns: ["b.*"] });
    expect(toolScope({ any: [{ tool: "a" }, T] })).toBeUndefined();
    expect(toolScope({ not: { tool: "a" } })).toBeUndefined();
    expect(toolScope({ agent: "a" })).toBeUndefined();
  });
});
