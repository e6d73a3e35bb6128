import type { Condition, FieldCondition } from "./condition.js";
import { compileGlob, isExactName } from "./glob.js";
import { compileTest, isOperator, type Operator } from "./operators.js";
import { parsePath, readPath } from "./path.js";
import { not, UNKNOWN, type Truth } from "./truth.js";
import type { ToolCall } from "./types.js";

/**
 * A compiled condition: synchronous, allocation-free, run once per candidate rule. Three-valued
 * (truth.ts): whether the rule then applies depends on its action (`applies`).
 */
export type Predicate = (call: ToolCall) => Truth;

/**
 * Compile a condition that `checkCondition` accepted into a closure tree: paths split, globs and
 * regexes compiled, here and once, so evaluating it is only property reads and comparisons.
 */
export function compileCondition(condition: Condition): Predicate {
  if ("field" in condition) return compileField(condition);
  if ("tool" in condition) {
    const match = compileGlob(condition.tool);
    return (call) => match(call.tool);
  }
  if ("agent" in condition) {
    const match = compileGlob(condition.agent);
    return (call) => match(call.agent_id);
  }
  if ("all" in condition) {
    const parts = condition.all.map(compileCondition);
    return (call) => {
      // Kleene: one false part decides, so it is looked for past an unknown one.
      let result: Truth = true;
      for (const part of parts) {
        const truth = part(call);
        if (truth === false) return false;
        if (truth === UNKNOWN) result = UNKNOWN;
      }
      return result;
    };
  }
  if ("any" in condition) {
    const parts = condition.any.map(compileCondition);
    return (call) => {
      let result: Truth = false;
      for (const part of parts) {
        const truth = part(call);
        if (truth === true) return true;
        if (truth === UNKNOWN) result = UNKNOWN;
      }
      return result;
    };
  }
  const inner = compileCondition(condition.not);
  return (call) => not(inner(call));
}

/** The operator of a field condition that `checkCondition` accepted (it has exactly one). */
export function operatorOf(condition: FieldCondition): Operator | undefined {
  return Object.keys(condition).find(isOperator);
}

/** A reader of the value at a field's dot path (undefined when missing), specialised for short paths. */
export function compileReader(field: string): (call: ToolCall) => unknown {
  const path = parsePath(field);
  // One and two segments (`tool`, `args.amount`, `context.environment`) are nearly every path: read them
  // without the general loop. Own properties only, as readPath does.
  if (path.length === 1) {
    const [key] = path as [string];
    return (call) => (Object.hasOwn(call, key) ? (call as Record<string, unknown>)[key] : undefined);
  }
  if (path.length === 2) {
    const [outer, inner] = path as [string, string];
    return (call) => {
      const parent = Object.hasOwn(call, outer) ? (call as Record<string, unknown>)[outer] : undefined;
      if (parent === null || typeof parent !== "object" || Array.isArray(parent)) return readPath(parent, [inner]);
      return Object.hasOwn(parent, inner) ? (parent as Record<string, unknown>)[inner] : undefined;
    };
  }
  return (call) => readPath(call, path);
}

function compileField(condition: FieldCondition): Predicate {
  const op = operatorOf(condition);
  // checkCondition guarantees exactly one operator; an unchecked condition that has none is undecidable.
  if (op === undefined) return () => UNKNOWN;
  const test = compileTest(op, condition[op]);
  const read = compileReader(condition.field);
  return (call) => test(read(call));
}

/**
 * The tool names a condition can match at most: exact `names` and glob `patterns`, or `undefined` when
 * it can hold for any tool. This is what lets the rule index skip a rule for every other tool.
 */
export interface ToolScope {
  names: ReadonlySet<string>;
  patterns: readonly string[];
}

/**
 * The scope of a condition: a `tool` leaf (or `field: tool` with eq, in or glob) narrows it; `all`
 * takes its narrowest part, `any` the union of its parts (when every part is narrowed), `not` never narrows.
 */
export function toolScope(condition: Condition): ToolScope | undefined {
  if ("field" in condition) {
    if (condition.field !== "tool") return undefined;
    if (typeof condition.eq === "string") return { names: new Set([condition.eq]), patterns: [] };
    if (Array.isArray(condition.in) && condition.in.every((item) => typeof item === "string")) {
      return { names: new Set(condition.in), patterns: [] };
    }
    if (typeof condition.glob === "string") return scopeOf([condition.glob]);
    return undefined;
  }
  if ("tool" in condition) return scopeOf([condition.tool]);
  if ("all" in condition) {
    const scopes = condition.all.map(toolScope).filter((scope) => scope !== undefined);
    // Exact names only is the best scope: the rule is looked up by name, never tested against a glob.
    return scopes.find((scope) => scope.patterns.length === 0) ?? scopes[0];
  }
  if ("any" in condition) {
    const scopes = condition.any.map(toolScope);
    if (scopes.some((scope) => scope === undefined)) return undefined;
    const names = new Set<string>();
    const patterns: string[] = [];
    for (const scope of scopes as ToolScope[]) {
      for (const name of scope.names) names.add(name);
      patterns.push(...scope.patterns);
    }
    return { names, patterns };
  }
  return undefined;
}

function scopeOf(patterns: string[]): ToolScope {
  return {
    names: new Set(patterns.filter(isExactName)),
    patterns: patterns.filter((pattern) => !isExactName(pattern)),
  };
}
