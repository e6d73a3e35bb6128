import { checkGlob, compileGlob } from "./glob.js";
import { decidableKind, isSafeNumber, jsonEqual, kindOf, type JsonKind } from "./json-value.js";
import { not, UNKNOWN, type Truth } from "./truth.js";

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
 * A compiled comparison, three-valued. It receives `undefined` when the field's path is missing. Every
 * operator but `exists` is `unknown` then, and `unknown` too on a value of another JSON type than its
 * operand's (or a number past ±2^53): "not equal" is never concluded from "not comparable", so `ne`
 * and `not_in` are as undecided as `eq` and `in`. `exists` alone is two-valued.
 */
export type Test = (value: unknown) => Truth;

/** Why an operand does not suit its operator, or undefined when it does. */
export function checkOperand(op: Operator, operand: unknown): string | undefined {
  const kind = kindOf(operand);
  // A number the evaluator would call undecidable on the call's side is refused on the policy's.
  const items = Array.isArray(operand) ? (operand as unknown[]) : [operand];
  if (items.some((item) => typeof item === "number" && !isSafeNumber(item)))
    return `${op} compares exactly only numbers within ±2^53`;
  switch (op) {
    case "eq":
    case "ne":
    case "contains":
      return kind === undefined ? `${op} needs a JSON value` : undefined;
    case "in":
    case "not_in":
      if (kind !== "array") return `${op} needs a list of values`;
      // An empty list is of no JSON type, so every value would be undecidable against it.
      return (operand as unknown[]).length === 0 ? `${op} needs at least one value` : undefined;
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
      return equals(operand);
    case "ne": {
      const eq = equals(operand);
      return (value) => not(eq(value));
    }
    case "in":
      return member(operand as unknown[]);
    case "not_in": {
      const inList = member(operand as unknown[]);
      return (value) => not(inList(value));
    }
    case "gt":
      return ordered(operand as number | string, (a, b) => a > b);
    case "gte":
      return ordered(operand as number | string, (a, b) => a >= b);
    case "lt":
      return ordered(operand as number | string, (a, b) => a < b);
    case "lte":
      return ordered(operand as number | string, (a, b) => a <= b);
    case "contains": {
      const item = equals(operand);
      return (value) => {
        if (typeof value === "string") return typeof operand === "string" ? value.includes(operand) : UNKNOWN;
        if (!Array.isArray(value)) return UNKNOWN;
        // Kleene's `any` over the items: `[["admin"]]` does not contain "admin" for certain, it is undecided.
        let result: Truth = false;
        for (const element of value) {
          const truth = item(element);
          if (truth === true) return true;
          if (truth === UNKNOWN) result = UNKNOWN;
        }
        return result;
      };
    }
    case "starts_with": {
      const prefix = operand as string;
      return (value) => (typeof value === "string" ? value.startsWith(prefix) : UNKNOWN);
    }
    case "matches": {
      const regex = compileRegex(operand as string);
      return (value) => (typeof value === "string" ? regex.test(value) : UNKNOWN);
    }
    case "glob": {
      const match = compileGlob(operand as string);
      return (value) => (typeof value === "string" ? match(value) : UNKNOWN);
    }
    case "exists": {
      // Two-valued on purpose: it is how an author guards an optional field (`all: [exists, …]`).
      const wanted = operand as boolean;
      return (value) => (value !== undefined) === wanted;
    }
  }
}

/**
 * What a comparison needs of a value to be decided, for the reason of a rule that applied because it
 * could not be: `a number`, `a string or an array`, …
 */
export function expectedKinds(op: Operator, operand: unknown): string {
  switch (op) {
    case "in":
    case "not_in":
      return [...new Set((operand as unknown[]).map((item) => article(kindOf(item))))].join(" or ");
    case "contains":
      return typeof operand === "string" ? "a string or an array" : `an array of ${kindOf(operand) ?? "values"}`;
    case "starts_with":
    case "matches":
    case "glob":
      return "a string";
    case "exists":
      return "anything";
    default:
      return article(kindOf(operand));
  }
}

function article(kind: JsonKind | undefined): string {
  if (kind === undefined || kind === "null") return "null";
  return kind === "array" || kind === "object" ? `an ${kind}` : `a ${kind}`;
}

// eq: decided only on a value of the operand's JSON type. For a string, number, boolean or null operand,
// equality is then `===`.
function equals(operand: unknown): Test {
  const kind = kindOf(operand);
  if (isPrimitive(operand)) return (value) => (decidableKind(value) === kind ? value === operand : UNKNOWN);
  return (value) => (decidableKind(value) === kind ? jsonEqual(value, operand) : UNKNOWN);
}

// in: decided on a value of a JSON type some item has; the common list of names or numbers is a Set lookup.
function member(list: readonly unknown[]): Test {
  const kinds = new Set<JsonKind | undefined>(list.map(kindOf));
  if (list.every(isPrimitive)) {
    const set = new Set<unknown>(list);
    return (value) => (set.has(value) ? true : kinds.has(decidableKind(value)) ? false : UNKNOWN);
  }
  return (value) => {
    if (!kinds.has(decidableKind(value))) return UNKNOWN;
    return list.some((item) => jsonEqual(value, item));
  };
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

// Numbers compare with numbers, strings with strings (so ISO 8601 timestamps order correctly); never mixed.
function ordered(operand: number | string, compare: (a: number | string, b: number | string) => boolean): Test {
  if (typeof operand === "number")
    return (value) => (typeof value === "number" && isSafeNumber(value) ? compare(value, operand) : UNKNOWN);
  return (value) => (typeof value === "string" ? compare(value, operand) : UNKNOWN);
}
