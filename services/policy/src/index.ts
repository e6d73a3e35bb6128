// @airlock/policy: the policy language, its compiled evaluator and the service that applies it.

// The language and evaluator (pure): for the service, `airlock policy check|eval|test` and benchmarks.
export { loadPolicy, formatPolicyError, type PolicyLoad } from "./core/load.js";
export { parseSource, formatPath, type PolicyError } from "./core/source.js";
export { validateDocument, type Validated } from "./core/validate.js";
export { compilePolicy, RESTRICTIVENESS, type CompiledPolicy, type PolicyIdentity } from "./core/compile.js";
export { decide, NO_APPROVAL_ROUTE, type Decision, type RunCounters } from "./core/decide.js";
export { ARGS_SCHEMA_RULE } from "./core/args-check.js";
export type { ArgsSchema } from "./core/args-schema.js";
export { unguardedComparisons, type TypeGuardWarning } from "./core/type-guards.js";
export { decidedData, verdictData } from "./core/events.js";
export { completeCall, parseCases, runCases, type PolicyCase, type CaseResult } from "./core/cases.js";
export { PolicyDocumentSchema, type PolicyDocument, type RuleSpec, type ApprovalSpec } from "./core/schema.js";
export { OPERATORS, type Operator } from "./core/operators.js";
export type { ToolCall, ApprovalRequirement, PolicyAction } from "./core/types.js";
export type { PolicyIssue } from "./core/issue.js";

// The service.
export { startPolicyService, POLICY_GROUP, type PolicyServiceDeps, type RunningPolicyService } from "./service.js";
export { readPolicyFile, watchPolicyFile, type PolicyFileWatcher, type WatchPolicyOptions } from "./policy-file.js";
export { handleToolCallRequested, SOURCE, type Handled } from "./handlers/tool-call-requested.js";
export { findDecision, runCalls, SCHEMA, type StoredDecision } from "./store/decisions.js";

/** The policy service's migrations folder (`migrations/NNNN_name.sql`, applied to the `policy` schema). */
export const MIGRATIONS = new URL("../migrations/", import.meta.url);
