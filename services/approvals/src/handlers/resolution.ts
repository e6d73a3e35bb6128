import { TOPICS, enqueueEvents, type OutboxRow, type Queryable } from "@airlock/shared";
import type { Resolution } from "../core/index.js";
import { resolvedEvent, verdictEvent } from "../outgoing.js";
import { SCHEMA, resolveRequest, type RequestRow } from "../store/index.js";
import type { Resolved } from "./context.js";

/**
 * End a request inside the caller's transaction: its new state, its `approval.resolved` and the call's
 * single `verdict.final` (to the call's reply_to) commit together or not at all. The caller holds the
 * request's row lock, so no other transaction can resolve it in between.
 */
export async function commitResolution(
  tx: Queryable,
  request: RequestRow,
  resolution: Resolution,
  at: Date,
): Promise<{ resolved: Resolved; outbox: OutboxRow[] }> {
  await resolveRequest(tx, request.id, resolution, at);
  const outbox = await enqueueEvents(tx, SCHEMA, [
    { event: resolvedEvent(request, resolution, at) },
    { event: verdictEvent(request, resolution, at), topic: request.reply_to ?? TOPICS.verdicts },
  ]);
  const resolved = {
    decided_by: resolution.decided_by,
    latency_seconds: Math.max(0, (at.getTime() - request.decided_at.getTime()) / 1000),
  };
  return { resolved, outbox };
}
