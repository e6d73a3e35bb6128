import type { PolicyIssue } from "./issue.js";
import { isSafeNumber, kindOf } from "./json-value.js";
import { compileRegex } from "./operators.js";

// The schema of a tool's arguments (`tools: { <name or glob>: { args: <schema> } }`): a small subset of
// JSON Schema, checked by hand like conditions are, so an author reads `minimum needs type: number or
// integer` rather than zod's "invalid input". Stricter than JSON Schema where leniency would let a value
// through unchecked: every schema names a `type` (or an `enum`), and a keyword must suit its type.

/** The JSON types a schema's `type` names; `integer` is a number with no fraction, within ±2^53. */
export const SCHEMA_TYPES = ["object", "string", "number", "integer", "boolean", "array", "null"] as const;

/** One JSON type of `SCHEMA_TYPES`. */
export type SchemaType = (typeof SCHEMA_TYPES)[number];

/** A tool-argument schema as written, once `checkArgsSchema` accepted it. */
export interface ArgsSchema {
  type?: SchemaType;
  description?: string;
  enum?: unknown[];
  properties?: Record<string, ArgsSchema>;
  required?: string[];
  additionalProperties?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: ArgsSchema;
  maxItems?: number;
}

// Which type each keyword belongs to; `type`, `description` and `enum` belong to every schema.
const KEYWORD_TYPES: Record<Exclude<keyof ArgsSchema, "type" | "description" | "enum">, readonly SchemaType[]> = {
  properties: ["object"],
  required: ["object"],
  additionalProperties: ["object"],
  minimum: ["number", "integer"],
  maximum: ["number", "integer"],
  exclusiveMinimum: ["number", "integer"],
  exclusiveMaximum: ["number", "integer"],
  minLength: ["string"],
  maxLength: ["string"],
  pattern: ["string"],
  items: ["array"],
  maxItems: ["array"],
};
const KEYWORDS = ["type", "description", "enum", ...Object.keys(KEYWORD_TYPES)];
// Args nest at most 32 levels (MAX_ARGS_DEPTH); a schema deeper than that describes nothing a call can carry.
const MAX_SCHEMA_DEPTH = 32;

/** Check a tool's `args` schema as written, reporting every problem with its path (relative to it). */
export function checkArgsSchema(value: unknown, report: (issue: PolicyIssue) => void): void {
  if (value === undefined) {
    report({ path: [], message: "missing: a tool needs an args schema, e.g. { type: object, properties: {...} }" });
    return;
  }
  check(value, [], 0, report);
  const type = isMapping(value) ? value["type"] : undefined;
  if (type !== "object" && (SCHEMA_TYPES as readonly unknown[]).includes(type))
    report({ path: ["type"], message: "a tool's args are a mapping: their schema's type is object" });
}

function check(value: unknown, path: (string | number)[], depth: number, report: (issue: PolicyIssue) => void): void {
  if (depth > MAX_SCHEMA_DEPTH) {
    report({ path, message: `schemas nest deeper than ${MAX_SCHEMA_DEPTH} levels` });
    return;
  }
  if (!isMapping(value)) {
    report({ path, message: "a schema is a mapping such as { type: number, minimum: 0 }" });
    return;
  }
  const type = value["type"];
  if (type === undefined && value["enum"] === undefined) report({ path, message: "a schema needs a type or an enum" });
  if (type !== undefined && !(SCHEMA_TYPES as readonly unknown[]).includes(type))
    report({ path: [...path, "type"], message: `type is one of: ${SCHEMA_TYPES.join(", ")}` });
  for (const [key, operand] of Object.entries(value)) {
    const at = [...path, key];
    if (!KEYWORDS.includes(key)) {
      report({ path: at, message: `unknown keyword "${key}" (expected one of: ${KEYWORDS.join(", ")})`, at: "key" });
      continue;
    }
    const types = KEYWORD_TYPES[key as keyof typeof KEYWORD_TYPES] as readonly SchemaType[] | undefined;
    if (types !== undefined && !types.includes(type as SchemaType)) {
      report({ path: at, message: `${key} needs type: ${types.join(" or ")}`, at: "key" });
      continue;
    }
    const problem = checkKeyword(key, operand, at, depth, report);
    if (problem !== undefined) report({ path: at, message: problem });
  }
  const { minimum, maximum, minLength, maxLength } = value;
  if (typeof minimum === "number" && typeof maximum === "number" && minimum > maximum)
    report({ path, message: `minimum ${minimum} is above maximum ${maximum}: no value conforms` });
  if (typeof minLength === "number" && typeof maxLength === "number" && minLength > maxLength)
    report({ path, message: `minLength ${minLength} is above maxLength ${maxLength}: no value conforms` });
}

function checkKeyword(
  key: string,
  operand: unknown,
  at: (string | number)[],
  depth: number,
  report: (issue: PolicyIssue) => void,
): string | undefined {
  switch (key) {
    case "type":
      return undefined; // checked with the schema, since every other keyword depends on it
    case "description":
      return typeof operand === "string" ? undefined : "description is text";
    case "enum":
      if (!Array.isArray(operand) || operand.length === 0) return "enum needs a non-empty list of values";
      return operand.some((item) => kindOf(item) === "number" && !isSafeNumber(item as number))
        ? "enum compares exactly only numbers within ±2^53"
        : undefined;
    case "properties":
      if (!isMapping(operand)) return "properties is a mapping of names to schemas";
      for (const [name, schema] of Object.entries(operand)) check(schema, [...at, name], depth + 1, report);
      return undefined;
    case "required":
      if (!Array.isArray(operand) || operand.some((name) => typeof name !== "string"))
        return "required is a list of property names";
      return new Set(operand).size === operand.length ? undefined : "required lists a name twice";
    case "additionalProperties":
      return typeof operand === "boolean" ? undefined : "additionalProperties is true or false";
    case "items":
      check(operand, at, depth + 1, report);
      return undefined;
    case "pattern":
      if (typeof operand !== "string") return "pattern is a regular expression string";
      try {
        compileRegex(operand);
        return undefined;
      } catch (error) {
        // The author's mistake, reported as a value with its position.
        return `bad regular expression: ${error instanceof Error ? error.message : String(error)}`;
      }
    case "minLength":
    case "maxLength":
    case "maxItems":
      return Number.isSafeInteger(operand) && (operand as number) >= 0 ? undefined : `${key} is a whole number ≥ 0`;
    default:
      // minimum, maximum, exclusiveMinimum, exclusiveMaximum
      return typeof operand === "number" && isSafeNumber(operand) ? undefined : `${key} is a number within ±2^53`;
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
