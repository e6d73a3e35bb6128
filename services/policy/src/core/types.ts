import type { EventData } from "@airlock/shared";

// Types of the shared event schemas this service produces. @airlock/shared exports the zod schemas
// under these names, not their types, so they are derived here once.

type Decided = EventData<"airlock.policy.decided">;

/** allow · deny · escalate · audit. */
export type PolicyAction = Decided["action"];

/** The resolved approval requirement an escalation carries (reviewers listed, timeout in ms). */
export type ApprovalRequirement = NonNullable<Decided["approval"]>;

/** The data of an `airlock.tool_call.requested`: what a policy decides on, and what `field` paths read. */
export type ToolCall = EventData<"airlock.tool_call.requested">;
