import { checkGlob, compileGlob } from "./glob.js";
import { jsonEqual, kindOf } from "./json-value.js";

/** Every comparison a `{ field, <op>: value }` condition may use (DESIGN.md, "Policy language"). */
export const OPERATORS = [
  "eq",
  "ne",
  "in",
  "not_in",
  "gt",
  "gte",
  "lt",
  "lte",
  "contains",
  "starts_with",
  "matches",
  "glob",
  "exists",
] as const;

/** One comparison operator. */
export type Operator = (typeof OPERATORS)[number];

/** Whether a key of a field condition is an operator. */
export function isOperator(key: string): key is Operator {
  return (OPERATORS as readonly string[]).includes(key);
}

/**
 * A compiled comparison. It receives `undefined` when the field's path is missing, and every operator
 * but `exists` answers false then. Comparing values of different JSON types is false as well — for `ne`
 * and `not_in` too, so a condition never matches a value it was not written for.
 */
export type Test = (value: unknown) => boolean;

/** Why an operand does not suit its operator, or undefined when it does. */
export function checkOperand(op: Operator, operand: unknown): string | undefined {
  const kind = kindOf(operand);
  switch (op) {
    case "eq":
    case "ne":
    case "contains":
      return kind === undefined ? `${op} needs a JSON value` : undefined;
    case "in":
    case "not_in":
      return kind === "array" ? undefined : `${op} needs a list of values`;
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return kind === "number" || kind === "string" ? undefined : `${op} needs a number or a string`;
    case "starts_with":
      return kind === "string" ? undefined : "starts_with needs a string";
    case "glob":
      return kind === "string" ? checkGlob(operand as string) : "glob needs a string";
    case "exists":
      return kind === "boolean" ? undefined : "exists needs true or false";
    case "matches":
      return kind === "string" ? regexError(operand as string) : "matches needs a regular expression string";
  }
}

/** The regular expression flags `matches` compiles with: Unicode-aware, no global state between calls. */
export const REGEX_FLAGS = "u";

/**
 * A `matches` pattern as a RegExp. A leading `(?i)` makes it case-insensitive, as in Go, Python and
 * PCRE — the one inline flag policy authors reach for, which JavaScript (before Node 23) lacks.
 */
export function compileRegex(pattern: string): RegExp {
  return pattern.startsWith("(?i)")
    ? new RegExp(pattern.slice(4), `${REGEX_FLAGS}i`)
    : new RegExp(pattern, REGEX_FLAGS);
}

function regexError(source: string): string | undefined {
  try {
    compileRegex(source);
    return undefined;
  } catch (error) {
    // A SyntaxError here is the policy author's mistake, reported as a value with its position.
    return `bad regular expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Compile one comparison against an operand that `checkOperand` accepted. Regexes and globs compile here, once. */
export function compileTest(op: Operator, operand: unknown): Test {
  switch (op) {
    case "eq":
      // For a string, number, boolean or null operand, JSON equality is `===` (and implies the same kind).
      if (isPrimitive(operand)) return (value) => value === operand;
      return (value) => sameKind(value, operand) && jsonEqual(value, operand);
    case "ne": {
      if (isPrimitive(operand)) {
        const kind = kindOf(operand);
        return (value) => value !== operand && kindOf(value) === kind;
      }
      return (value) => sameKind(value, operand) && !jsonEqual(value, operand);
    }
    case "in": {
      const list = operand as unknown[];
      // The common case, a list of names or numbers, is a Set lookup (SameValueZero is `===` on JSON values).
      if (list.every(isPrimitive)) {
        const set = new Set<unknown>(list);
        return (value) => set.has(value);
      }
      return (value) => value !== undefined && list.some((item) => jsonEqual(value, item));
    }
    case "not_in": {
      const list = operand as unknown[];
      if (list.every(isPrimitive)) {
        const set = new Set<unknown>(list);
        const kinds = new Set<string | undefined>(list.map(kindOf));
        return (value) => !set.has(value) && kinds.has(kindOf(value));
      }
      return (value) => list.some((item) => sameKind(value, item)) && !list.some((item) => jsonEqual(value, item));
    }
    case "gt":
      return ordered(operand as number | string, (a, b) => a > b);
    case "gte":
      return ordered(operand as number | string, (a, b) => a >= b);
    case "lt":
      return ordered(operand as number | string, (a, b) => a < b);
    case "lte":
      return ordered(operand as number | string, (a, b) => a <= b);
    case "contains":
      return (value) => {
        if (typeof value === "string") return typeof operand === "string" && value.includes(operand);
        return Array.isArray(value) && value.some((item) => jsonEqual(item, operand));
      };
    case "starts_with": {
      const prefix = operand as string;
      return (value) => typeof value === "string" && value.startsWith(prefix);
    }
    case "matches": {
      const regex = compileRegex(operand as string);
      return (value) => typeof value === "string" && regex.test(value);
    }
    case "glob": {
      const match = compileGlob(operand as string);
      return (value) => typeof value === "string" && match(value);
    }
    case "exists": {
      const wanted = operand as boolean;
      return (value) => (value !== undefined) === wanted;
    }
  }
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function sameKind(value: unknown, operand: unknown): boolean {
  return value !== undefined && kindOf(value) === kindOf(operand);
}

// Numbers compare with numbers, strings with strings (so ISO 8601 timestamps order correctly); never mixed.
function ordered(operand: number | string, compare: (a: number | string, b: number | string) => boolean): Test {
  if (typeof operand === "number") return (value) => typeof value === "number" && compare(value, operand);
  return (value) => typeof value === "string" && compare(value, operand);
}
