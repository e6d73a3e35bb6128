import {
  actionDigest,
  createEvent,
  enqueueEvents,
  isTransientSqlError,
  prepareOutgoing,
  PoisonMessageError,
  TOPICS,
  UnavailableError,
  type AirlockEvent,
  type OutboxRow,
  type OutgoingEvent,
  type Queryable,
  type SqlClient,
} from "@airlock/shared";
import type { CompiledPolicy } from "../core/compile.js";
import { decide, type Decision } from "../core/decide.js";
import { decidedData, verdictData } from "../core/events.js";
import { claimAndCountCall, findClaim, recordDecidedCall, recordDecision, SCHEMA } from "../store/decisions.js";

/** The `source` of every event the policy service publishes. */
export const SOURCE = "airlock/policy";

/** What handling one tool call came to: a decision and the outbox rows to dispatch after COMMIT. */
export type Handled = { status: "decided"; decision: Decision; outbox: OutboxRow[] } | { status: "duplicate" };

/** What the handler needs. */
export interface ToolCallHandlerDeps {
  sql: SqlClient;
  /** The policy in force now; read once per call, so a reload never splits one decision. */
  policy: () => CompiledPolicy;
}

/**
 * Decide one `airlock.tool_call.requested`: check its digest, then atomically claim the call (a
 * redelivery stops here), count it for its run, decide, record the decision and enqueue its events —
 * the `policy.decided`, and for allow, audit and deny the call's single `verdict.final` to its `reply_to`.
 * Either all of that commits or none of it does, so a crash anywhere leaves the call to be decided again.
 *
 * When the policy has no max_tool_calls the decision cannot depend on the run's count, so it is made
 * first and everything is written in one statement: one round trip to Postgres instead of a transaction
 * of four, which is most of what a decision costs. With a limit, the count comes first, in a transaction.
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
    if (policy.defaults.maxToolCalls === undefined) {
      const decision = decide(policy, call, { runCalls: 0 });
      const { decided, outgoing } = eventsOf(call, decision);
      const outbox = await recordDecidedCall(deps.sql, call, {
        eventId: event.id,
        decision,
        decidedEventId: decided.id,
        data: decided.data,
        outgoing: prepareOutgoing(outgoing),
      });
      if (outbox === undefined) return await alreadyClaimed(deps.sql, event);
      return { status: "decided", decision, outbox };
    }
    return await deps.sql.transaction(async (tx): Promise<Handled> => {
      const runCalls = await claimAndCountCall(tx, call, event.id);
      if (runCalls === undefined) return await alreadyClaimed(tx, event);
      const decision = decide(policy, call, { runCalls });
      const { decided, outgoing } = eventsOf(call, decision);
      await recordDecision(tx, call.call_id, { decision, runCalls, decidedEventId: decided.id, data: decided.data });
      const outbox = await enqueueEvents(tx, SCHEMA, outgoing);
      return { status: "decided", decision, outbox };
    });
  } catch (error) {
    if (error instanceof PoisonMessageError) throw error;
    // A database that is down keeps the call for redelivery for as long as it takes (retriable);
    // anything else gets the transport's bounded retries, then the dead-letter topic.
    if (isTransientSqlError(error)) throw new UnavailableError(`deciding call ${call.call_id}`, { cause: error });
    throw error;
  }
}

/**
 * A call whose id is claimed already. The same event again (a redelivery, or another instance deciding it
 * at the same moment) is a no-op; a different event reusing the id is refused as a poison message, so it
 * is dead-lettered with the reason (and so recorded by audit) — never decided, never answered with the
 * first call's verdict. Without this, the second call's agent and the gateway waited on a call id whose
 * verdict was someone else's.
 */
async function alreadyClaimed(
  db: Queryable,
  event: AirlockEvent<"airlock.tool_call.requested">,
): Promise<{ status: "duplicate" }> {
  const claim = await findClaim(db, event.data.call_id);
  if (claim === undefined || claim.event_id === event.id) return { status: "duplicate" };
  throw new PoisonMessageError(
    `duplicate_call: call_id ${event.data.call_id} was already submitted (event ${claim.event_id}, agent ${claim.agent_id}); ` +
      `event ${event.id} reuses it and is refused: a call id names one call`,
  );
}

/** The events a decision causes: its `policy.decided`, and the call's verdict unless it escalates. */
function eventsOf(
  call: AirlockEvent<"airlock.tool_call.requested">["data"],
  decision: Decision,
): { decided: AirlockEvent<"airlock.policy.decided">; outgoing: OutgoingEvent[] } {
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
  return { decided, outgoing };
}
