import { isEvent, toAirlockError, type AirlockEvent } from "@airlock/shared";
import { NO_EFFECTS, type Effects, type HandlerContext } from "./context.js";
import { handlePolicyDecided } from "./policy-decided.js";
import { handleToolCallCancelled } from "./tool-call-cancelled.js";
import { handleVoteCast } from "./vote-cast.js";

export type { Effects, HandlerContext, Resolved } from "./context.js";

/**
 * Route one consumed event to its handler. Database faults become AirlockErrors that say whether they
 * are retriable, so the transport keeps the event while Postgres is down instead of dead-lettering it.
 */
export async function handleEvent(ctx: HandlerContext, event: AirlockEvent): Promise<Effects> {
  try {
    if (isEvent(event, "airlock.policy.decided")) return await handlePolicyDecided(ctx, event);
    if (isEvent(event, "airlock.vote.cast")) return await handleVoteCast(ctx, event);
    if (isEvent(event, "airlock.tool_call.cancelled")) return await handleToolCallCancelled(ctx, event);
  } catch (error) {
    throw toAirlockError(error, `handling ${event.type} ${event.id}`);
  }
  // Other events on the same topics (tool_call.requested on airlock.tool-calls) are the policy's.
  return NO_EFFECTS;
}
