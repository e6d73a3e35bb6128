import {
  actionDigest,
  createEvent,
  enqueueEvents,
  isTransientSqlError,
  PoisonMessageError,
  TOPICS,
  UnavailableError,
  type AirlockEvent,
  type OutgoingEvent,
  type SqlClient,
} from "@airlock/shared";
import type { CompiledPolicy } from "../core/compile.js";
import { decide, type Decision } from "../core/decide.js";
import { decidedData, verdictData } from "../core/events.js";
import { claimCall, countRunCall, recordDecision, SCHEMA } from "../store/decisions.js";

/** The `source` of every event the policy service publishes. */
export const SOURCE = "airlock/policy";

/** What handling one tool call came to. */
export type Handled = { status: "decided"; decision: Decision } | { status: "duplicate" };

/** What the handler needs. */
export interface ToolCallHandlerDeps {
  sql: SqlClient;
  /** The policy in force now; read once per call, so a reload never splits one decision. */
  policy: () => CompiledPolicy;
}

/**
 * Decide one `airlock.tool_call.requested`: check its digest, then in ONE transaction claim the call
 * (a redelivery stops here), count it for its run, decide, record the decision and enqueue its events —
 * the `policy.decided`, and for allow, audit and deny the call's single `verdict.final` to its `reply_to`.
 * Either all of that commits or none of it does, so a crash anywhere leaves the call to be decided again.
 */
export async function handleToolCallRequested(
  deps: ToolCallHandlerDeps,
  event: AirlockEvent<"airlock.tool_call.requested">,
): Promise<Handled> {
  const call = event.data;
  const digest = actionDigest({ agent_id: call.agent_id, tool: call.tool, args: call.args });
  if (digest !== call.action_digest) {
    throw new PoisonMessageError(
      `action_digest ${call.action_digest} of call ${call.call_id} is not the digest of its agent_id, tool and args (${digest})`,
    );
  }
  const policy = deps.policy();
  try {
    return await deps.sql.transaction(async (tx): Promise<Handled> => {
      if (!(await claimCall(tx, call, event.id))) return { status: "duplicate" };
      const runCalls = await countRunCall(tx, call.run_id);
      const decision = decide(policy, call, { runCalls });
      const decided = createEvent({
        type: "airlock.policy.decided",
        source: SOURCE,
        subject: call.call_id,
        data: decidedData(call, decision),
      });
      const outgoing: OutgoingEvent[] = [{ event: decided }];
      const verdict = verdictData(call, decision);
      if (verdict !== undefined) {
        outgoing.push({
          event: createEvent({ type: "airlock.verdict.final", source: SOURCE, subject: call.call_id, data: verdict }),
          topic: call.reply_to ?? TOPICS.verdicts,
        });
      }
      await recordDecision(tx, call.call_id, { decision, runCalls, decidedEventId: decided.id, data: decided.data });
      await enqueueEvents(tx, SCHEMA, outgoing);
      return { status: "decided", decision };
    });
  } catch (error) {
    // A database that is down keeps the call for redelivery for as long as it takes (retriable);
    // anything else gets the transport's bounded retries, then the dead-letter topic.
    if (isTransientSqlError(error)) throw new UnavailableError(`deciding call ${call.call_id}`, { cause: error });
    throw error;
  }
}
