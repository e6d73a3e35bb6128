import type { AirlockEvent } from "@airlock/shared";
import { cancel } from "../core/index.js";
import { lockRequestByCall, recordCancellation, toSnapshot, votesOf } from "../store/index.js";
import { NO_EFFECTS, type Effects, type HandlerContext } from "./context.js";
import { commitResolution } from "./resolution.js";
import { firstDelivery } from "./claim.js";

/**
 * `tool_call.cancelled`: the agent no longer waits; its pending request ends `cancelled`, verdict deny.
 * The cancellation is remembered, so a decision that arrives after it opens the request already cancelled.
 * Only the call's own agent may cancel it.
 */
export async function handleToolCallCancelled(
  ctx: HandlerContext,
  event: AirlockEvent<"airlock.tool_call.cancelled">,
): Promise<Effects> {
  const { call_id, agent_id, reason } = event.data;
  return ctx.sql.transaction(async (tx) => {
    if (!(await firstDelivery(tx, event))) return NO_EFFECTS;
    const now = ctx.now();
    await recordCancellation(tx, { call_id, agent_id, reason: reason ?? null, at: now });
    const request = await lockRequestByCall(tx, call_id);
    if (!request) return NO_EFFECTS;
    if (request.agent_id !== agent_id) {
      ctx.log.warn({ event_id: event.id, subject: call_id, agent_id }, "cancellation from another agent ignored");
      return NO_EFFECTS;
    }
    const resolution = cancel(toSnapshot(request, await votesOf(tx, request.id)), reason);
    if (!resolution) return NO_EFFECTS;
    const { resolved, outbox } = await commitResolution(tx, request, resolution, now);
    ctx.log.info({ event_id: event.id, subject: call_id, request_id: request.id }, "approval request cancelled");
    return { outbox, resolved: [resolved] };
  });
}
