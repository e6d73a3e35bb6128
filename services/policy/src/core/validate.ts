import type { z } from "zod";
import type { PolicyIssue } from "./issue.js";
import {
  allowedKeys,
  ApprovalSpec,
  DefaultsSpec,
  PolicyDocumentSchema,
  RuleSpec,
  type PolicyDocument,
} from "./schema.js";
import { checkSemantics, partsOf, type DocumentParts } from "./semantics.js";

/** A document that is a valid policy, or every reason it is not. */
export type Validated = { ok: true; document: PolicyDocument } | { ok: false; issues: PolicyIssue[] };

/**
 * Validate a parsed document: the schema (shape, operators, regexes) and the cross-references (pools,
 * quorums, rule names). Every problem is reported, each with its path, so the caller can name its line
 * and column; cross-references are checked even when the schema failed elsewhere.
 */
export function validateDocument(value: unknown): Validated {
  const result = PolicyDocumentSchema.safeParse(value);
  if (result.success) {
    const issues = checkSemantics(partsOf(result.data));
    return issues.length === 0 ? { ok: true, document: result.data } : { ok: false, issues };
  }
  const issues = fromZod(result.error.issues, value, allowedKeys);
  return { ok: false, issues: [...issues, ...checkSemantics(salvage(value))] };
}

const Pools = PolicyDocumentSchema.shape.pools;
const SensitiveTools = PolicyDocumentSchema.shape.sensitive_tools;

// The parts of an invalid document that are valid on their own.
function salvage(value: unknown): DocumentParts {
  const doc = isRecord(value) ? value : {};
  const valid = <T>(schema: z.ZodType<T>, part: unknown): T | undefined => {
    const parsed = schema.safeParse(part);
    return parsed.success ? parsed.data : undefined;
  };
  const rawRules = Array.isArray(doc["rules"]) ? (doc["rules"] as unknown[]) : [];
  const rules: DocumentParts["rules"] = [];
  const ruleNames: DocumentParts["ruleNames"] = [];
  rawRules.forEach((raw, index) => {
    const rule = isRecord(raw) ? raw : {};
    rules.push({
      index,
      action: valid(RuleSpec.shape.action, rule["action"]),
      approval: valid(ApprovalSpec, rule["approval"]),
    });
    if (typeof rule["name"] === "string") ruleNames.push({ index, name: rule["name"] });
  });
  return {
    pools: valid(Pools, doc["pools"]) ?? (doc["pools"] === undefined ? {} : undefined),
    defaults: valid(DefaultsSpec, doc["defaults"]),
    sensitiveTools: valid(SensitiveTools, doc["sensitive_tools"]),
    rules,
    ruleNames,
  };
}

/**
 * zod's issues as policy issues. zod's messages name types; an author needs to know which key is
 * missing or misspelt, and where.
 */
export function fromZod(
  issues: readonly z.core.$ZodIssue[],
  root: unknown,
  // The keys a mapping at a path accepts, for "unknown key" messages.
  keysAt: (path: readonly (string | number)[]) => readonly string[] | undefined = () => undefined,
): PolicyIssue[] {
  return issues.flatMap((issue) => fromZodIssue(issue, root, keysAt));
}

function fromZodIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  keysAt: (path: readonly (string | number)[]) => readonly string[] | undefined,
): PolicyIssue[] {
  const path = issue.path.filter((segment) => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const allowed = keysAt(path);
    const hint = allowed ? ` (expected one of: ${allowed.join(", ")})` : "";
    return issue.keys.map((key) => ({
      path: [...path, key],
      message: `unknown key "${key}"${hint}`,
      at: "key" as const,
    }));
  }
  if (issue.code === "invalid_type" && path.length === 0) {
    return [{ path, message: "a policy is a mapping with version, name, defaults and rules" }];
  }
  if (issue.code === "invalid_type" && path.length > 0 && valueAt(root, path) === undefined) {
    const key = path[path.length - 1];
    return [{ path: path.slice(0, -1), message: `missing ${typeof key === "number" ? `item ${key}` : `"${key}"`}` }];
  }
  if (issue.code === "custom" && (issue.params as { at?: unknown } | undefined)?.at === "key") {
    return [{ path, message: issue.message, at: "key" }];
  }
  return [{ path, message: issue.message }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
