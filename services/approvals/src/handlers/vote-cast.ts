import { enqueueEvents, verifyVote, type AirlockEvent } from "@airlock/shared";
import { decideVote } from "../core/index.js";
import { refusedEvent } from "../outgoing.js";
import { SCHEMA, insertRefusal, insertVote, lockRequest, toSnapshot, votesOf } from "../store/index.js";
import { NO_EFFECTS, type Effects, type HandlerContext } from "./context.js";
import { commitResolution } from "./resolution.js";
import { firstDelivery } from "./claim.js";

/**
 * `vote.cast`: lock the request's row, let the core decide, and commit the vote or its refusal — and,
 * when the vote decided the request, the resolution, `approval.resolved` and the call's `verdict.final` —
 * in one transaction. Two votes racing on two instances queue on the row lock; the second sees the first
 * committed, so a request is resolved once and its call gets one verdict.
 */
export async function handleVoteCast(ctx: HandlerContext, event: AirlockEvent<"airlock.vote.cast">): Promise<Effects> {
  const vote = event.data;
  // Signature checking is CPU work: done before the transaction, so the row lock is held for SQL only.
  const authenticity = verifyVote(vote, ctx.reviewers);
  return ctx.sql.transaction(async (tx) => {
    if (!(await firstDelivery(tx, event))) return NO_EFFECTS;
    const now = ctx.now();
    const request = await lockRequest(tx, vote.request_id);
    // The votes are read by a statement of their own, after the lock is held: under READ COMMITTED it
    // takes a fresh snapshot, so it sees the vote a racing transaction committed while this one waited
    // for the lock. (A subquery in the locking SELECT would read the statement's older snapshot.)
    const snapshot = request && toSnapshot(request, await votesOf(tx, request.id));
    const decision = decideVote(snapshot, vote, authenticity, now.getTime());
    const log = {
      event_id: event.id,
      subject: request?.call_id ?? vote.request_id,
      vote_id: vote.vote_id,
      reviewer: vote.reviewer,
    };

    switch (decision.kind) {
      case "redelivered":
        ctx.log.debug(log, "vote already counted");
        return NO_EFFECTS;
      case "refused": {
        await insertRefusal(tx, {
          request_id: vote.request_id,
          vote_id: vote.vote_id,
          reviewer: vote.reviewer,
          verdict: vote.verdict,
          reason: decision.reason,
          detail: decision.detail,
          event_id: event.id,
          refused_at: now,
        });
        const refusal = {
          reason: decision.reason,
          detail: decision.detail,
          ...(request ? { call_id: request.call_id } : {}),
        };
        const refused = await enqueueEvents(tx, SCHEMA, [{ event: refusedEvent(vote, refusal, now) }]);
        ctx.log.info({ ...log, reason: decision.reason }, "vote refused");
        if (!decision.resolution || !request) return { outbox: refused, resolved: [] };
        const { resolved, outbox } = await commitResolution(tx, request, decision.resolution, now);
        return { outbox: [...refused, ...outbox], resolved: [resolved] };
      }
      case "counted": {
        await insertVote(tx, {
          ...decision.vote,
          request_id: vote.request_id,
          comment: vote.comment ?? null,
          signature: vote.signature,
          event_id: event.id,
          cast_at: now,
        });
        ctx.log.info({ ...log, verdict: vote.verdict, role: decision.vote.role }, "vote counted");
        if (!decision.resolution || !request) return NO_EFFECTS;
        const { resolved, outbox } = await commitResolution(tx, request, decision.resolution, now);
        ctx.log.info({ ...log, outcome: decision.resolution.outcome }, "approval request resolved");
        return { outbox, resolved: [resolved] };
      }
    }
  });
}
