import { z } from "zod";
import { MAX_ARGS_DEPTH } from "../limits.js";
import { replyToProblem } from "./reply-to.js";

// The `data` of each Airlock event type (DESIGN.md, "Events"). Types are inferred from these schemas
// and never written by hand. Objects that carry caller-supplied context are loose (unknown keys kept);
// the rest are strict so a misspelt field is an error, not a silent default.

const id = z.string().min(1).max(200);
const digest = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters (SHA-256)");
const timestamp = z.iso.datetime({ offset: true });
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, "must be a topic name");

function depth(value: unknown, limit: number): boolean {
  if (limit < 0) return false;
  if (Array.isArray(value)) return value.every((item) => depth(item, limit - 1));
  if (value !== null && typeof value === "object") return Object.values(value).every((v) => depth(v, limit - 1));
  return true;
}

/** A `reply_to` must be a reply topic of the call's own agent (see reply-to.ts); refused with the reason otherwise. */
function ownReplyTopic(data: { agent_id: string; reply_to?: string | undefined }, ctx: z.RefinementCtx): void {
  // The object's own checks may have failed already: look only at strings (parseEvent never throws).
  if (typeof data.agent_id !== "string" || typeof data.reply_to !== "string") return;
  const problem = replyToProblem(data.agent_id, data.reply_to);
  if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["reply_to"], message: problem });
}

/** A tool's arguments: any JSON object, nested at most MAX_ARGS_DEPTH levels. */
export const ToolArgs = z
  .record(z.string(), z.unknown())
  .refine((args) => depth(args, MAX_ARGS_DEPTH), `args nest deeper than ${MAX_ARGS_DEPTH} levels`);

/** Who and where: `user` is the requester, who never counts towards the quorum of their own call. */
export const CallContext = z.looseObject({
  user: z.string().min(1).max(200).optional(),
  environment: z.string().min(1).max(200).optional(),
});

/** What the caller asks of the policy, beyond the rules. */
export const CallMetadata = z.looseObject({ require_approval: z.boolean().optional() });

/** `airlock.tool_call.requested`: an agent is about to call a tool. */
export const ToolCallRequested = z
  .strictObject({
    call_id: id,
    agent_id: id,
    run_id: id,
    tool: z.string().min(1).max(200),
    args: ToolArgs,
    action_digest: digest,
    context: CallContext.default({}),
    metadata: CallMetadata.default({}),
    reply_to: topicName.optional(),
  })
  .superRefine(ownReplyTopic);

/** A decision's outcome. `audit` allows the call and marks it for auditors. */
export const PolicyAction = z.enum(["allow", "deny", "escalate", "audit"]);

/**
 * What an escalated call needs, resolved by the policy: the reviewers are listed, so the approvals
 * service never needs the policy file. `timeout_ms` counts from the moment the request opens.
 */
export const ApprovalRequirement = z.strictObject({
  pool: z.string().min(1).nullable(),
  reviewers: z.array(z.string().min(1)).min(1),
  quorum: z.number().int().min(1),
  veto: z.boolean(),
  confirm_by_requester: z.boolean(),
  timeout_ms: z.number().int().positive(),
  on_timeout: z.enum(["deny", "allow"]),
});

/**
 * `airlock.policy.decided`. Beyond DESIGN.md's essentials it carries the call itself (tool, args,
 * run_id, context, reply_to) so that approvals can show reviewers what they decide on, refuse
 * self-approval and answer the agent, without reading the tool-calls topic.
 */
export const PolicyDecided = z
  .strictObject({
    call_id: id,
    agent_id: id,
    run_id: id,
    tool: z.string().min(1).max(200),
    args: ToolArgs,
    context: CallContext,
    reply_to: topicName.optional(),
    action_digest: digest,
    action: PolicyAction,
    rule: z.string().nullable(),
    reason: z.string(),
    policy: z.strictObject({ name: z.string(), version: digest }),
    approval: ApprovalRequirement.optional(),
  })
  .superRefine(ownReplyTopic);

/** `airlock.approval.opened`: reviewers are asked. Carries what a reviewer needs to decide. */
export const ApprovalOpened = z.strictObject({
  request_id: id,
  call_id: id,
  agent_id: id,
  tool: z.string(),
  args: ToolArgs,
  action_digest: digest,
  requester: z.string().nullable(),
  rule: z.string().nullable(),
  reason: z.string(),
  requirement: ApprovalRequirement,
  expires_at: timestamp,
});

/** A reviewer's answer. */
export const VoteVerdict = z.enum(["approve", "reject"]);

/** `airlock.vote.cast`: Ed25519 `signature` (base64) over the canonical JSON of the vote without it. */
export const VoteCast = z.strictObject({
  vote_id: id,
  request_id: id,
  action_digest: digest,
  reviewer: z.string().min(1).max(200),
  verdict: VoteVerdict,
  comment: z.string().max(4000).optional(),
  signature: z.string().min(1).max(200),
});

/** `airlock.vote.refused`: a vote that changed nothing, and why. */
export const VoteRefused = z.strictObject({
  vote_id: id,
  request_id: id,
  reviewer: z.string(),
  reason: z.string(),
});

/** How a request ended. */
export const ApprovalOutcome = z.enum(["approved", "rejected", "expired", "cancelled"]);

/** `airlock.approval.resolved`. */
export const ApprovalResolved = z.strictObject({
  request_id: id,
  call_id: id,
  outcome: ApprovalOutcome,
  tally: z.strictObject({
    approvals: z.array(z.string()),
    rejections: z.array(z.string()),
    quorum: z.number().int().min(1),
  }),
  resolved_at: timestamp,
});

/** `airlock.verdict.final`: the one answer an agent gets for a call. */
export const VerdictFinal = z.strictObject({
  call_id: id,
  agent_id: id,
  action_digest: digest,
  allowed: z.boolean(),
  outcome: z.enum(["allow", "deny", "audit", "approved", "rejected", "expired", "cancelled"]),
  reason: z.string(),
  decided_by: z.enum(["policy", "approval", "timeout"]),
});

/** `airlock.tool_call.cancelled`: the agent no longer wants the call; a pending approval ends denied. */
export const ToolCallCancelled = z.strictObject({
  call_id: id,
  agent_id: id,
  reason: z.string().max(4000).optional(),
});

/** `airlock.audit.checkpoint`: a signed RFC 6962 tree head over the first `tree_size` entries of a chain. */
export const AuditCheckpoint = z.strictObject({
  chain: z.string(),
  tree_size: z.number().int().min(0),
  root_hash: z.string().regex(/^[0-9a-f]{64}$/),
  head_hash: z.string().regex(/^[0-9a-f]{64}$/),
  signed_at: timestamp,
  key_id: z.string(),
  signature: z.string(),
});

/** `airlock.dead_letter`: a message a consumer refused, with the reason; `raw` is truncated to a bound. */
export const DeadLetter = z.strictObject({
  topic: z.string(),
  consumer: z.string(),
  reason: z.string(),
  raw: z.string(),
  raw_bytes: z.number().int().min(0),
});
