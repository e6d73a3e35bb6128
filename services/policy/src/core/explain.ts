import type { Condition } from "./condition.js";
import { describeValue } from "./json-value.js";
import { expectedKinds } from "./operators.js";
import { compileCondition, compileReader, operatorOf } from "./predicate.js";
import { UNKNOWN } from "./truth.js";
import type { ToolCall } from "./types.js";

/** Why a condition came out unknown on a call: one line per comparison that could not be decided. */
export type Explainer = (call: ToolCall) => string[];

/**
 * Compile the explanation of a condition, for the reason of a restrictive rule that applied because
 * its condition was unknown. Only run then — never on the fast path — and it follows only the parts
 * that were themselves unknown, so it names exactly the undecided comparisons that mattered.
 */
export function compileExplainer(condition: Condition): Explainer {
  if ("field" in condition) {
    const op = operatorOf(condition);
    const read = compileReader(condition.field);
    const needs = op === undefined ? "an operator" : expectedKinds(op, condition[op]);
    const test = compileCondition(condition);
    return (call) => {
      if (test(call) !== UNKNOWN) return [];
      const value = read(call);
      return [`${condition.field} is ${describeValue(value)}, ${op ?? "the comparison"} needs ${needs}`];
    };
  }
  if ("all" in condition || "any" in condition) {
    const children = "all" in condition ? condition.all : condition.any;
    const parts = children.map((child) => ({ test: compileCondition(child), explain: compileExplainer(child) }));
    return (call) => parts.flatMap(({ test, explain }) => (test(call) === UNKNOWN ? explain(call) : []));
  }
  if ("not" in condition) return compileExplainer(condition.not);
  // tool and agent conditions are always decided.
  return () => [];
}

/** A restrictive rule's reason when it applied undecided: the rule's own reason, then what could not be decided. */
export function undecidedReason(reason: string, why: readonly string[]): string {
  return `${reason} (applied because undecidable: ${why.length === 0 ? "a comparison" : why.join("; ")})`;
}
