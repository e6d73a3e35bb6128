import { z } from "zod";
import { parseDuration, PolicyAction } from "@airlock/shared";
import { checkArgsSchema, type ArgsSchema } from "./args-schema.js";
import { checkCondition, type Condition } from "./condition.js";
import { checkGlob } from "./glob.js";

// The policy document as written (DESIGN.md, "Policy language"). The schema validates and never
// transforms: no defaults are filled in and strict objects refuse unknown keys, so the validated
// document is the document itself — and its canonical JSON is what `policy.version` hashes.
// Defaults (priority 0, quorum 1, timeout 1h, …) are applied by compile(); what the schema cannot
// see (pools that exist, quorum against pool size, unique rule names) is checked in semantics.ts.

const Name = z.string().min(1).max(200);

/** A rule's `when`: checked by hand for messages an author can act on (see condition.ts). */
export const ConditionSchema = z.custom<Condition>().superRefine((value, ctx) => {
  checkCondition(value, (issue) =>
    ctx.addIssue({
      code: "custom",
      path: issue.path,
      message: issue.message,
      ...(issue.at ? { params: { at: issue.at } } : {}),
    }),
  );
});

/**
 * An approval route as written: a pool or a reviewers list, and how the vote is run. On a rule, what
 * it leaves out is taken from `defaults.approval` (a rule may say only `quorum: 2`).
 */
export const ApprovalSpec = z.strictObject({
  pool: Name.optional(),
  reviewers: z.array(Name).min(1).optional(),
  quorum: z.number().int().min(1).optional(),
  veto: z.boolean().optional(),
  confirm_by_requester: z.boolean().optional(),
  timeout: z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) >= 1, "timeout is a duration such as 30s, 15m, 1h or 2d")
    .optional(),
  on_timeout: z.enum(["deny", "allow"]).optional(),
});

/** A tool's `args` schema: checked by hand, like conditions (see args-schema.ts). */
export const ArgsSchemaSpec = z.custom<ArgsSchema>().superRefine((value, ctx) => {
  checkArgsSchema(value, (issue) =>
    ctx.addIssue({
      code: "custom",
      path: issue.path,
      message: issue.message,
      ...(issue.at ? { params: { at: issue.at } } : {}),
    }),
  );
});

/** What a policy says of one tool (or every tool a glob matches): the schema its arguments must conform to. */
export const ToolSpec = z.strictObject({ args: ArgsSchemaSpec });

/** `tools:` — a tool name or glob → its spec. A call of a matching tool whose args do not conform is denied. */
export const ToolsSpec = z.record(
  Name.superRefine((key, ctx) => {
    const problem = checkGlob(key);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
  ToolSpec,
);

/** One rule. */
export const RuleSpec = z.strictObject({
  name: Name,
  priority: z.number().int().optional(),
  when: ConditionSchema,
  action: PolicyAction,
  reason: z.string().min(1).max(1000).optional(),
  approval: ApprovalSpec.optional(),
});

/** What applies when no rule matches. */
export const DefaultsSpec = z.strictObject({
  action: z.enum(["allow", "deny"]),
  max_tool_calls: z.number().int().min(1).optional(),
  approval: ApprovalSpec.optional(),
});

/** The whole policy document. */
export const PolicyDocumentSchema = z.strictObject({
  version: z.literal(1),
  name: Name,
  defaults: DefaultsSpec,
  pools: z.record(Name, z.array(Name).min(1)).optional(),
  sensitive_tools: z.array(Name).optional(),
  tools: ToolsSpec.optional(),
  rules: z.array(RuleSpec).optional(),
});

/** A validated policy document, as written. */
export type PolicyDocument = z.output<typeof PolicyDocumentSchema>;
/** An approval route as written. */
export type ApprovalSpec = z.output<typeof ApprovalSpec>;
/** A rule as written. */
export type RuleSpec = z.output<typeof RuleSpec>;
/** A tool's spec as written. */
export type ToolSpec = z.output<typeof ToolSpec>;
/** The defaults as written. */
export type DefaultsSpec = z.output<typeof DefaultsSpec>;

/**
 * The keys a strict mapping of the document accepts, by its path: what an "unknown key" message lists.
 * Conditions are not here; condition.ts names their forms and operators itself.
 */
export function allowedKeys(path: readonly (string | number)[]): readonly string[] | undefined {
  const [first, second, third, fourth] = path;
  if (path.length === 0) return Object.keys(PolicyDocumentSchema.shape);
  if (first === "defaults" && path.length === 1) return Object.keys(DefaultsSpec.shape);
  if (first === "defaults" && second === "approval" && path.length === 2) return Object.keys(ApprovalSpec.shape);
  if (first === "rules" && typeof second === "number" && path.length === 2) return Object.keys(RuleSpec.shape);
  if (first === "rules" && third === "approval" && fourth === undefined) return Object.keys(ApprovalSpec.shape);
  if (first === "tools" && path.length === 2) return Object.keys(ToolSpec.shape);
  return undefined;
}
