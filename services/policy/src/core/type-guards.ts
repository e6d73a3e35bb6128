import type { ArgsSchema } from "./args-schema.js";
import type { CompiledPolicy } from "./compile.js";
import type { Condition } from "./condition.js";
import { compileGlob } from "./glob.js";
import { operatorOf, toolScope, type ToolScope } from "./predicate.js";
import { isRestrictive } from "./truth.js";

/** A restrictive rule's comparison on a field whose type nothing guarantees (`airlock policy check` warns). */
export interface TypeGuardWarning {
  rule: string;
  field: string;
  op: string;
  message: string;
}

interface Comparison {
  field: string;
  op: string;
  scope: ToolScope | undefined;
}

// Fields the event schema itself types (@airlock/shared ToolCallRequested): strings whenever present.
const TYPED_BY_EVENT = new Set([
  "tool",
  "agent_id",
  "run_id",
  "call_id",
  "action_digest",
  "reply_to",
  "context.user",
  "context.environment",
  "metadata.require_approval",
]);
// A tools key this broad covers every tool name, so it guards a rule that is not scoped to any tool.
const EVERY_TOOL = "**";

/**
 * The comparisons of deny and escalate rules whose field has no type guard: not typed by the event
 * schema, and not by a `tools` schema covering every tool the rule can apply to. Such a rule still fails
 * closed on a value of another type (it applies, undecided), but an author most likely wants the call
 * refused with a clear reason by a schema — or did not expect the rule to apply. `exists` needs no guard.
 * Glob inclusion is not decided: a glob-scoped rule is guarded by a tools key of the same glob (or `**`).
 */
export function unguardedComparisons(policy: CompiledPolicy): TypeGuardWarning[] {
  const tools = Object.entries(policy.document.tools ?? {}).map(([key, spec]) => ({
    key,
    matches: compileGlob(key),
    args: spec.args,
  }));
  const warnings: TypeGuardWarning[] = [];
  for (const rule of policy.document.rules ?? []) {
    if (!isRestrictive(rule.action)) continue;
    for (const { field, op, scope } of comparisons(rule.when, toolScope(rule.when))) {
      if (TYPED_BY_EVENT.has(field)) continue;
      const [root, ...rest] = field.split(".");
      let why: string;
      if (root !== "args") {
        why = `${field} is not typed by the event schema, and tools schemas type args only`;
      } else {
        const schemasFor = (covers: (key: string, matches: (name: string) => boolean) => boolean) =>
          tools.filter(({ key, matches }) => covers(key, matches)).map(({ args }) => args);
        const targets =
          scope === undefined
            ? [{ name: "any tool", schemas: schemasFor((key) => key === EVERY_TOOL) }]
            : [
                ...[...scope.names].map((name) => ({ name, schemas: schemasFor((_, matches) => matches(name)) })),
                ...scope.patterns.map((name) => ({
                  name,
                  schemas: schemasFor((key) => key === name || key === EVERY_TOOL),
                })),
              ];
        const unguarded = targets.filter(({ schemas }) => !schemas.some((schema) => typesPath(schema, rest)));
        if (unguarded.length === 0) continue;
        why = `no tools schema types it for ${unguarded.map(({ name }) => name).join(", ")}`;
      }
      warnings.push({ rule: rule.name, field, op, message: `${field} (${op}) has no type guard: ${why}` });
    }
  }
  return warnings;
}

// Each comparison with the tools it can apply to: an `all` that names tools narrows its parts' scope
// (`any: [{ tool: a }, { all: [{ tool: b }, <leaf>] }]`: the leaf is about b only).
function comparisons(condition: Condition, scope: ToolScope | undefined): Comparison[] {
  if ("field" in condition) {
    const op = operatorOf(condition);
    return op === undefined || op === "exists" ? [] : [{ field: condition.field, op, scope }];
  }
  if ("all" in condition) {
    const narrowed = toolScope(condition) ?? scope;
    return condition.all.flatMap((part) => comparisons(part, narrowed));
  }
  if ("any" in condition) return condition.any.flatMap((part) => comparisons(part, scope));
  if ("not" in condition) return comparisons(condition.not, scope);
  return [];
}

// Whether a schema fixes the type of the value at a path below it (a numeric segment is an array item).
function typesPath(schema: ArgsSchema, path: readonly string[]): boolean {
  const [segment, ...rest] = path;
  if (segment === undefined) return schema.type !== undefined || schema.enum !== undefined;
  if (schema.type === "object" && schema.properties && Object.hasOwn(schema.properties, segment))
    return typesPath(schema.properties[segment]!, rest);
  if (schema.type === "array" && schema.items && /^(0|[1-9]\d*)$/.test(segment)) return typesPath(schema.items, rest);
  return false;
}
