import type { ApprovalRequirement, PolicyAction } from "./types.js";
import { compileGlob } from "./glob.js";
import type { Explainer } from "./explain.js";
import type { Predicate, ToolScope } from "./predicate.js";

/** A rule ready to evaluate. */
export interface CompiledRule {
  readonly name: string;
  readonly priority: number;
  readonly action: PolicyAction;
  readonly reason: string;
  /** The resolved requirement of an escalate rule (its own approval over `defaults.approval`); none without a route. */
  readonly approval: ApprovalRequirement | undefined;
  /** Three-valued: whether the rule then applies is `applies(action, matches(call))` (truth.ts). */
  readonly matches: Predicate;
  /** Why `matches` was unknown on a call; used only to word the reason of a rule that applied so. */
  readonly explain: Explainer;
  /** Position in the policy's evaluation order: lower is tried first. */
  readonly rank: number;
}

/** What the index knows about one tool name: the rules that may match it, in evaluation order. */
export interface ToolEntry {
  readonly rules: readonly CompiledRule[];
  /** Listed in `sensitive_tools`. */
  readonly sensitive: boolean;
}

interface ScopedRule {
  rule: CompiledRule;
  applies: (tool: string) => boolean;
}

// Entries computed for glob-scoped rules are remembered per tool name. Tool names come from agents, so
// the memory is bounded: past this many names it starts over rather than grow without end.
const MAX_CACHED_TOOLS = 10_000;
const EMPTY: readonly CompiledRule[] = Object.freeze([]);

/**
 * Rules by tool name. A rule scoped to exact names sits in a map under each name; a rule scoped by a
 * glob, or not scoped at all, sits in a fallback list. A tool's candidates are its own rules merged with
 * the fallback rules that apply to it, in evaluation order — computed once per tool name and remembered,
 * so a lookup is one Map.get however many rules the policy has.
 */
export class RuleIndex {
  readonly #byName = new Map<string, CompiledRule[]>();
  readonly #fallback: ScopedRule[] = [];
  readonly #sensitiveNames: ReadonlySet<string>;
  readonly #sensitivePatterns: ((tool: string) => boolean)[];
  readonly #entries = new Map<string, ToolEntry>();

  /** `rules` must be in evaluation order (ascending rank). */
  constructor(rules: readonly { rule: CompiledRule; scope: ToolScope | undefined }[], sensitive: ToolScope) {
    for (const { rule, scope } of rules) {
      if (scope === undefined) {
        this.#fallback.push({ rule, applies: () => true });
        continue;
      }
      for (const name of scope.names) {
        const list = this.#byName.get(name);
        if (list) list.push(rule);
        else this.#byName.set(name, [rule]);
      }
      if (scope.patterns.length > 0) {
        const globs = scope.patterns.map(compileGlob);
        this.#fallback.push({ rule, applies: (tool) => scope.names.has(tool) || globs.some((glob) => glob(tool)) });
      }
    }
    this.#sensitiveNames = sensitive.names;
    this.#sensitivePatterns = sensitive.patterns.map(compileGlob);
  }

  /** The rules that may match a call of `tool`, in evaluation order, and whether the tool is sensitive. */
  lookup(tool: string): ToolEntry {
    const known = this.#entries.get(tool);
    if (known !== undefined) return known;
    const entry: ToolEntry = Object.freeze({ rules: this.#candidates(tool), sensitive: this.#isSensitive(tool) });
    if (this.#entries.size >= MAX_CACHED_TOOLS) this.#entries.clear();
    this.#entries.set(tool, entry);
    return entry;
  }

  #candidates(tool: string): readonly CompiledRule[] {
    const own = this.#byName.get(tool) ?? EMPTY;
    const extra = this.#fallback.filter((scoped) => scoped.applies(tool)).map((scoped) => scoped.rule);
    if (extra.length === 0) return own;
    // Both lists are in rank order; a rule scoped by names and globs may be in both, once is enough.
    const merged: CompiledRule[] = [];
    let i = 0;
    let j = 0;
    while (i < own.length || j < extra.length) {
      const a = own[i];
      const b = extra[j];
      if (b === undefined || (a !== undefined && a.rank < b.rank)) {
        merged.push(a!);
        i++;
      } else if (a === undefined || b.rank < a.rank) {
        merged.push(b);
        j++;
      } else {
        merged.push(a);
        i++;
        j++;
      }
    }
    return Object.freeze(merged);
  }

  #isSensitive(tool: string): boolean {
    return this.#sensitiveNames.has(tool) || this.#sensitivePatterns.some((glob) => glob(tool));
  }
}
