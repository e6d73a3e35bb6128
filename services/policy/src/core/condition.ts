import { checkOperand, isOperator, OPERATORS, type Operator } from "./operators.js";
import type { PolicyIssue } from "./issue.js";
import { checkGlob } from "./glob.js";
import { checkPath } from "./path.js";

/** `{ tool: glob }`: the call's tool name matches. */
export interface ToolCondition {
  tool: string;
}

/** `{ agent: glob }`: the calling agent's id matches. */
export interface AgentCondition {
  agent: string;
}

/** `{ field: args.amount, gt: 1000 }`: one operator applied to the value at a dot path into the event data. */
export type FieldCondition = { field: string } & { [op in Operator]?: unknown };

/** `all: [...]`: every condition holds. */
export interface AllCondition {
  all: Condition[];
}

/** `any: [...]`: at least one condition holds. */
export interface AnyCondition {
  any: Condition[];
}

/** `not: {...}`: the condition does not hold. */
export interface NotCondition {
  not: Condition;
}

/** A rule's `when`, exactly as written in the policy document. */
export type Condition = ToolCondition | AgentCondition | FieldCondition | AllCondition | AnyCondition | NotCondition;

// Deeper nesting than this is a generated or hostile policy, not a readable one; refuse it before recursing further.
const MAX_CONDITION_DEPTH = 32;
const FORMS = ["tool", "agent", "field", "all", "any", "not"] as const;
const OPERATOR_LIST = OPERATORS.join(", ");

/**
 * Check a condition as written and report every problem with its path, relative to the condition.
 * Hand-written rather than a zod union, because a union can only say "invalid input" where an author
 * needs to read `unknown operator "equals"`.
 */
export function checkCondition(value: unknown, report: (issue: PolicyIssue) => void): void {
  check(value, [], 0, report);
}

function check(value: unknown, path: (string | number)[], depth: number, report: (issue: PolicyIssue) => void): void {
  if (depth > MAX_CONDITION_DEPTH) {
    report({ path, message: `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels` });
    return;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    report({ path, message: "a condition is a mapping with one of: tool, agent, field, all, any, not" });
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.includes("field")) {
    checkField(record, path, report);
    return;
  }
  const forms = keys.filter((key): key is (typeof FORMS)[number] => (FORMS as readonly string[]).includes(key));
  const [form] = forms;
  if (form === undefined) {
    const [first] = keys;
    const message =
      first === undefined
        ? "an empty condition; expected one of: tool, agent, field, all, any, not"
        : isOperator(first)
          ? `operator ${first} needs a field (e.g. { field: args.amount, ${first}: ... })`
          : `unknown condition "${first}" (expected one of: tool, agent, field, all, any, not)`;
    report({ path, message });
    return;
  }
  if (forms.length > 1) {
    report({ path, message: `one condition per mapping: combine ${forms.join(" and ")} with all: [...]` });
    return;
  }
  for (const key of keys) {
    if (key !== form)
      report({ path: [...path, key], message: `unknown key "${key}" in a ${form} condition`, at: "key" });
  }
  const operand = record[form];
  switch (form) {
    case "tool":
    case "agent":
      if (typeof operand !== "string" || operand.length === 0) {
        report({ path: [...path, form], message: `${form} needs a name or glob pattern` });
        return;
      }
      reportIf(checkGlob(operand), [...path, form], report);
      return;
    case "all":
    case "any":
      if (!Array.isArray(operand) || operand.length === 0) {
        report({ path: [...path, form], message: `${form} needs a non-empty list of conditions` });
        return;
      }
      operand.forEach((child, i) => check(child, [...path, form, i], depth + 1, report));
      return;
    case "not":
      check(operand, [...path, "not"], depth + 1, report);
      return;
  }
}

function checkField(record: Record<string, unknown>, path: (string | number)[], report: (issue: PolicyIssue) => void) {
  const field = record.field;
  if (typeof field !== "string") {
    report({ path: [...path, "field"], message: "field needs a dot path such as args.amount" });
  } else {
    const problem = checkPath(field);
    if (problem !== undefined) report({ path: [...path, "field"], message: problem });
  }
  const others = Object.keys(record).filter((key) => key !== "field");
  const unknown = others.filter((key) => !isOperator(key));
  for (const key of unknown) {
    report({
      path: [...path, key],
      message: `unknown operator "${key}" (expected one of: ${OPERATOR_LIST})`,
      at: "key",
    });
  }
  const ops = others.filter(isOperator);
  if (ops.length === 0 && unknown.length === 0) {
    report({ path, message: `field condition needs an operator (one of: ${OPERATOR_LIST})` });
  }
  if (ops.length > 1) {
    report({
      path,
      message: `a field condition takes one operator, not ${ops.join(" and ")}; combine with all: [...]`,
    });
  }
  for (const op of ops) reportIf(checkOperand(op, record[op]), [...path, op], report);
}

function reportIf(problem: string | undefined, path: (string | number)[], report: (issue: PolicyIssue) => void): void {
  if (problem !== undefined) report({ path, message: problem });
}
