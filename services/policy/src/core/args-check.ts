import type { ArgsSchema } from "./args-schema.js";
import { compileGlob } from "./glob.js";
import { describeValue, isSafeNumber, jsonEqual, kindOf } from "./json-value.js";
import { compileRegex } from "./operators.js";

/**
 * The `rule` of a denial by a `tools` argument schema. A policy may not name a rule so (semantics.ts),
 * so a decision's rule always says which of the two denied.
 */
export const ARGS_SCHEMA_RULE = "args-schema";

/** Where a value breaks its schema, and how: `args.amount: is a string, expected a number`. */
export type Violation = string;

/** A compiled schema: appends what is wrong with `value` (at the dot path `at`) to `out`, up to its limit. */
type Validator = (value: unknown, at: string, out: Violation[]) => void;

// A reason names a few violations, not every one of a hostile call's thousand keys.
const MAX_VIOLATIONS = 5;

/**
 * Compile a schema that `checkArgsSchema` accepted: regexes compiled and properties put in a Map (a
 * property named `__proto__` is an ordinary name), once, at load.
 */
export function compileSchema(schema: ArgsSchema): Validator {
  const checks: Validator[] = [];
  const { type } = schema;
  const typed = type !== undefined;
  if (typed) checks.push(typeCheck(type));
  if (schema.enum !== undefined) {
    const options = schema.enum;
    const listed = options.map((option) => JSON.stringify(option)).join(", ");
    checks.push((value, at, out) => {
      if (!options.some((option) => jsonEqual(value, option))) out.push(`${at}: is not one of: ${listed}`);
    });
  }
  if (type === "number" || type === "integer") checks.push(rangeCheck(schema));
  if (type === "string") checks.push(stringCheck(schema));
  if (type === "array") checks.push(arrayCheck(schema));
  if (type === "object") checks.push(objectCheck(schema));
  return (value, at, out) => {
    for (const check of checks) {
      if (out.length >= MAX_VIOLATIONS) return;
      const before = out.length;
      check(value, at, out);
      // A value of the wrong type is not checked further: "is a string, expected a number" says it all.
      if (typed && check === checks[0] && out.length > before) return;
    }
  };
}

function typeCheck(type: NonNullable<ArgsSchema["type"]>): Validator {
  const expected =
    type === "integer" ? "an integer" : type === "object" || type === "array" ? `an ${type}` : `a ${type}`;
  return (value, at, out) => {
    const kind = kindOf(value);
    const ok =
      type === "integer"
        ? Number.isSafeInteger(value)
        : type === "number"
          ? kind === "number" && isSafeNumber(value as number)
          : kind === type;
    if (!ok) out.push(`${at}: is ${describeValue(value)}, expected ${expected}${numberNote(type, value)}`);
  };
}

// 2^60 is a number, but not one two parsers read alike: say why it is refused.
function numberNote(type: string, value: unknown): string {
  return (type === "number" || type === "integer") && Number.isFinite(value) && !isSafeNumber(value as number)
    ? " within ±2^53"
    : "";
}

function rangeCheck(schema: ArgsSchema): Validator {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  return (value, at, out) => {
    const n = value as number;
    if (minimum !== undefined && n < minimum) out.push(`${at}: ${n} is less than the minimum ${minimum}`);
    if (maximum !== undefined && n > maximum) out.push(`${at}: ${n} is more than the maximum ${maximum}`);
    if (exclusiveMinimum !== undefined && n <= exclusiveMinimum)
      out.push(`${at}: ${n} is not more than ${exclusiveMinimum} (exclusiveMinimum)`);
    if (exclusiveMaximum !== undefined && n >= exclusiveMaximum)
      out.push(`${at}: ${n} is not less than ${exclusiveMaximum} (exclusiveMaximum)`);
  };
}

function stringCheck(schema: ArgsSchema): Validator {
  const { minLength, maxLength, pattern } = schema;
  const regex = pattern === undefined ? undefined : compileRegex(pattern);
  return (value, at, out) => {
    const text = value as string;
    // JSON Schema counts characters (code points), not UTF-16 units.
    const length = minLength === undefined && maxLength === undefined ? 0 : [...text].length;
    if (minLength !== undefined && length < minLength)
      out.push(`${at}: is ${length} characters, fewer than minLength ${minLength}`);
    if (maxLength !== undefined && length > maxLength)
      out.push(`${at}: is ${length} characters, more than maxLength ${maxLength}`);
    if (regex !== undefined && !regex.test(text)) out.push(`${at}: does not match the pattern ${pattern}`);
  };
}

function arrayCheck(schema: ArgsSchema): Validator {
  const { maxItems } = schema;
  const items = schema.items === undefined ? undefined : compileSchema(schema.items);
  return (value, at, out) => {
    const list = value as unknown[];
    if (maxItems !== undefined && list.length > maxItems)
      out.push(`${at}: has ${list.length} items, more than maxItems ${maxItems}`);
    if (items === undefined) return;
    for (let i = 0; i < list.length && out.length < MAX_VIOLATIONS; i++) items(list[i], `${at}[${i}]`, out);
  };
}

function objectCheck(schema: ArgsSchema): Validator {
  const properties = new Map(Object.entries(schema.properties ?? {}).map(([name, s]) => [name, compileSchema(s)]));
  const required = schema.required ?? [];
  const closed = schema.additionalProperties === false;
  return (value, at, out) => {
    const record = value as Record<string, unknown>;
    for (const name of required) {
      if (!Object.hasOwn(record, name)) out.push(`${at}.${name}: is missing (required)`);
    }
    for (const [name, item] of Object.entries(record)) {
      if (out.length >= MAX_VIOLATIONS) return;
      const validate = properties.get(name);
      if (validate !== undefined) validate(item, `${at}.${name}`, out);
      else if (closed) out.push(`${at}.${name}: is not allowed (additionalProperties: false)`);
    }
  };
}

/** The schemas of a policy's `tools`, matched against a call's tool name. */
export interface ToolSchemas {
  /** What is wrong with a call's args against every schema whose key matches its tool; empty when they conform. */
  check(tool: string, args: unknown): { key: string; violations: Violation[] } | undefined;
}

/**
 * Compile `tools`. A tool matched by several keys (an exact name and a glob) must conform to each of
 * their schemas: a narrower schema adds constraints, it never lifts a broader one's.
 */
export function compileToolSchemas(tools: Readonly<Record<string, { args: ArgsSchema }>>): ToolSchemas {
  const entries = Object.entries(tools).map(([key, spec]) => ({
    key,
    applies: compileGlob(key),
    validate: compileSchema(spec.args),
  }));
  return {
    check(tool, args) {
      for (const { key, applies, validate } of entries) {
        if (!applies(tool)) continue;
        const violations: Violation[] = [];
        validate(args, "args", violations);
        if (violations.length > 0) return { key, violations };
      }
      return undefined;
    },
  };
}
