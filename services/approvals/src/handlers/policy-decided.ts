import { PoisonMessageError, enqueueEvents, newId, type AirlockEvent } from "@airlock/shared";
import { openRequest } from "../core/index.js";
import { openedEvent } from "../outgoing.js";
import { SCHEMA, cancellationOf, insertRequest, type RequestRow } from "../store/index.js";
import { NO_EFFECTS, type Effects, type HandlerContext } from "./context.js";
import { commitResolution } from "./resolution.js";
import { firstDelivery } from "./claim.js";

/**
 * `policy.decided` with action `escalate` opens one approval request for the call and publishes
 * `approval.opened`; a request that cannot stay open (impossible requirement, headless mode, a call
 * already cancelled) is resolved in the same transaction. Other actions are not this service's business.
 */
export async function handlePolicyDecided(
  ctx: HandlerContext,
  event: AirlockEvent<"airlock.policy.decided">,
): Promise<Effects> {
  const decision = event.data;
  if (decision.action !== "escalate") return NO_EFFECTS;
  const requirement = decision.approval;
  // The policy attaches a requirement to every escalation (it denies one it cannot route): one without
  // it breaks the contract, and retrying will not mend it.
  if (!requirement) throw new PoisonMessageError(`escalated call ${decision.call_id} carries no approval requirement`);

  return ctx.sql.transaction(async (tx) => {
    if (!(await firstDelivery(tx, event))) return NO_EFFECTS;
    const now = ctx.now();
    const requester = decision.context.user ?? null;
    const cancellation = await cancellationOf(tx, decision.call_id);
    const opening = openRequest({
      requirement,
      requester,
      mode: ctx.mode,
      cancelled: cancellation?.agent_id === decision.agent_id,
      now_ms: now.getTime(),
    });
    const request: RequestRow = {
      id: newId(),
      call_id: decision.call_id,
      agent_id: decision.agent_id,
      run_id: decision.run_id,
      tool: decision.tool,
      args: decision.args,
      action_digest: decision.action_digest,
      requester,
      rule: decision.rule,
      reason: decision.reason,
      policy: decision.policy,
      requirement,
      reply_to: decision.reply_to ?? null,
      state: "pending",
      decided_at: new Date(event.time),
      opened_at: now,
      expires_at: new Date(opening.expires_at_ms),
      resolved_at: null,
      resolution_reason: null,
      allowed: null,
      decided_by: null,
    };
    // A second decision for the same call (the policy saw its tool call twice) opens nothing new.
    if (!(await insertRequest(tx, request))) return NO_EFFECTS;
    const opened = await enqueueEvents(tx, SCHEMA, [{ event: openedEvent(request, now) }]);
    ctx.log.info(
      { event_id: event.id, subject: decision.call_id, request_id: request.id, immediate: opening.resolution?.outcome },
      "approval request opened",
    );
    if (!opening.resolution) return { outbox: opened, resolved: [] };
    const { resolved, outbox } = await commitResolution(tx, request, opening.resolution, now);
    return { outbox: [...opened, ...outbox], resolved: [resolved] };
  });
}
