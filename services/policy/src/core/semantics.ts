import { ARGS_SCHEMA_RULE } from "./args-check.js";
import type { PolicyIssue } from "./issue.js";
import type { ApprovalSpec, DefaultsSpec, PolicyDocument, RuleSpec } from "./schema.js";

// What the schema cannot see, because it spans several places of the document: pools that exist,
// quorums their pool can meet, rule names that are unique, and sensitive tools that have somewhere to go.

/**
 * The parts of a document that passed the schema on their own. When the whole document did not, the
 * cross-references are still checked among the parts that did, so one run reports every error; a part
 * that is itself invalid (`undefined`) is not used to judge the others.
 */
export interface DocumentParts {
  pools: Record<string, string[]> | undefined;
  defaults: DefaultsSpec | undefined;
  sensitiveTools: string[] | undefined;
  /** Each rule's action and approval, where they are valid, with the rule's position in `rules`. */
  rules: { index: number; action: RuleSpec["action"] | undefined; approval: ApprovalSpec | undefined }[];
  /** The name of every rule that has one, valid or not: duplicates are found among all of them. */
  ruleNames: { index: number; name: string }[];
}

/** The parts of a document that passed the schema as a whole. */
export function partsOf(doc: PolicyDocument): DocumentParts {
  const rules = doc.rules ?? [];
  return {
    pools: doc.pools ?? {},
    defaults: doc.defaults,
    sensitiveTools: doc.sensitive_tools ?? [],
    rules: rules.map((rule, index) => ({ index, action: rule.action, approval: rule.approval })),
    ruleNames: rules.map((rule, index) => ({ index, name: rule.name })),
  };
}

/**
 * Every cross-reference problem among the valid parts of a document, each with its path. For a
 * document the schema accepted, an empty list means the policy can be compiled.
 */
export function checkSemantics(parts: DocumentParts): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const { pools, defaults } = parts;
  for (const [name, members] of Object.entries(pools ?? {})) {
    checkDistinct(members, ["pools", name], "pool", issues);
  }
  if (defaults?.approval) checkApproval(defaults.approval, ["defaults", "approval"], pools, issues);
  if (parts.sensitiveTools && parts.sensitiveTools.length > 0 && defaults && !defaults.approval) {
    issues.push({
      path: ["sensitive_tools"],
      message: "sensitive_tools are escalated to defaults.approval, which this policy does not set",
    });
  }
  const firstIndex = new Map<string, number>();
  for (const { index, name } of parts.ruleNames) {
    const seen = firstIndex.get(name);
    // The decisions of the tools schemas carry this name: a rule of that name would be mistaken for them.
    if (name === ARGS_SCHEMA_RULE)
      issues.push({ path: ["rules", index, "name"], message: `"${name}" is the name of tools schema denials` });
    if (seen === undefined) firstIndex.set(name, index);
    else
      issues.push({ path: ["rules", index, "name"], message: `duplicate rule name "${name}" (also rules[${seen}])` });
  }
  for (const rule of parts.rules) {
    const { index } = rule;
    if (rule.approval === undefined || rule.action === undefined) continue;
    if (rule.action !== "escalate") {
      issues.push({
        path: ["rules", index, "approval"],
        message: `approval applies only to escalate rules; this rule's action is ${rule.action}`,
        at: "key",
      });
      continue;
    }
    // With invalid defaults, what a rule would inherit is unknown: judge the rule as written.
    const effective = effectiveApproval(rule.approval, defaults?.approval);
    checkApproval(effective, ["rules", index, "approval"], pools, issues, rule.approval);
  }
  return issues;
}

/**
 * A rule's approval with what it leaves out taken from `defaults.approval`. The route (pool or
 * reviewers) is taken as a whole: a rule that names a pool does not inherit the default reviewers.
 */
export function effectiveApproval(spec: ApprovalSpec, defaults: ApprovalSpec | undefined): ApprovalSpec {
  if (defaults === undefined) return spec;
  const hasRoute = spec.pool !== undefined || spec.reviewers !== undefined;
  const { pool, reviewers, ...settings } = defaults;
  const route = hasRoute
    ? {}
    : { ...(pool === undefined ? {} : { pool }), ...(reviewers === undefined ? {} : { reviewers }) };
  return { ...settings, ...route, ...spec };
}

function checkApproval(
  spec: ApprovalSpec,
  path: (string | number)[],
  // undefined: the pools are themselves invalid, so a pool reference cannot be judged.
  pools: Record<string, string[]> | undefined,
  issues: PolicyIssue[],
  // The approval as written at `path`: an inherited field's problem is reported at the approval itself.
  written: ApprovalSpec = spec,
): void {
  const at = (key: keyof ApprovalSpec) => (written[key] === undefined ? path : [...path, key]);
  if (spec.pool !== undefined && spec.reviewers !== undefined) {
    issues.push({ path, message: "approval takes a pool or a reviewers list, not both" });
    return;
  }
  let members: string[];
  let route: string;
  if (spec.pool !== undefined) {
    if (pools === undefined) return;
    const pool = Object.hasOwn(pools, spec.pool) ? pools[spec.pool] : undefined;
    if (pool === undefined) {
      // An inherited pool is reported once, where defaults.approval names it.
      if (written.pool === undefined) return;
      const known = Object.keys(pools);
      issues.push({
        path: at("pool"),
        message: `unknown pool "${spec.pool}" (${known.length === 0 ? "no pools are defined" : `pools: ${known.join(", ")}`})`,
      });
      return;
    }
    members = pool;
    route = `pool "${spec.pool}"`;
  } else if (spec.reviewers !== undefined) {
    members = spec.reviewers;
    route = "the reviewers list";
    checkDistinct(members, [...path, "reviewers"], "reviewers list", issues);
  } else {
    issues.push({ path, message: "approval needs a pool or a reviewers list" });
    return;
  }
  const quorum = spec.quorum ?? 1;
  const distinct = new Set(members).size;
  if (quorum > distinct) {
    issues.push({
      path: at("quorum"),
      message: `quorum ${quorum} is larger than ${route} (${distinct} member${distinct === 1 ? "" : "s"})`,
    });
  }
}

function checkDistinct(members: string[], path: (string | number)[], what: string, issues: PolicyIssue[]): void {
  const seen = new Set<string>();
  members.forEach((member, i) => {
    if (seen.has(member)) issues.push({ path: [...path, i], message: `"${member}" is listed twice in this ${what}` });
    seen.add(member);
  });
}
