import { z } from "zod";
import type { FastifyPluginAsync } from "fastify";
import {
  CallContext,
  CallMetadata,
  HttpError,
  MAX_ARGS_DEPTH,
  TOPIC_NAME,
  ToolArgs,
  actionDigest,
  canonicalize,
  createEvent,
  newId,
  parseDuration,
  replyToProblem,
  type AirlockEvent,
  type EventData,
  type Transport,
} from "@airlock/shared";
import type { CallKey, VerdictWaiter } from "@airlock/client";

/** What is known of a call: read from the services' stores. */
export interface CallStatus {
  call_id: string;
  decision?: EventData<"airlock.policy.decided">;
  verdict?: EventData<"airlock.verdict.final">;
}

/** Looks a call up in the stores; undefined when nothing was recorded for it. */
export type CallLookup = (callId: string) => Promise<CallStatus | undefined>;

/** Dependencies of {@link toolCallRoutes}. */
export interface ToolCallRoutesDeps {
  transport: Transport;
  waiter: VerdictWaiter;
  lookup: CallLookup;
}

/** The body of POST /v1/tool-calls: a tool_call.requested's data; ids, run and digest may be left out. */
const SubmitBody = z.strictObject({
  agent_id: z.string().min(1).max(200),
  tool: z.string().min(1).max(200),
  args: ToolArgs.default({}),
  run_id: z.string().min(1).max(200).optional(),
  call_id: z.string().min(1).max(200).optional(),
  action_digest: z.string().optional(),
  context: CallContext.default({}),
  metadata: CallMetadata.default({}),
  reply_to: z.string().regex(TOPIC_NAME, "must be a topic name: letters, digits, '.', '_', '-'").optional(),
});

/** Deeper than any honest call (args are bounded at MAX_ARGS_DEPTH): refused before anything recurses into it. */
const MAX_BODY_DEPTH = MAX_ARGS_DEPTH + 8;

/** Whether a parsed JSON value nests deeper than `limit`, measured without recursion. */
function tooDeep(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth >= limit) return true;
    for (const inner of Object.values(item)) stack.push([inner, depth + 1]);
  }
  return false;
}

/** The longest `?wait=` honoured in one request. */
const MAX_WAIT_MS = 60_000;

function waitMs(query: unknown): number {
  const text = (query as { wait?: unknown }).wait;
  if (text === undefined) return 0;
  const ms = typeof text === "string" ? parseDuration(/^\d+$/.test(text) ? `${text}ms` : text) : undefined;
  if (ms === undefined)
    throw new HttpError(
      400,
      "bad_wait",
      `wait: "${typeof text === "string" ? text : JSON.stringify(text)}" is not a duration such as 30s or 500ms`,
    );
  return Math.min(ms, MAX_WAIT_MS);
}

/** Whether a verdict is bound to the call: the same call id, agent and action digest. */
function isBound(verdict: CallKey, call: CallKey): boolean {
  return (
    verdict.call_id === call.call_id &&
    verdict.agent_id === call.agent_id &&
    verdict.action_digest === call.action_digest
  );
}

function duplicateCall(callId: string): HttpError {
  return new HttpError(
    409,
    "duplicate_call",
    `call_id ${callId} was already submitted: a call id names one call; submit this one under a new id`,
  );
}

/** The call a GET asks about: `?agent_id=&action_digest=` when both are given. */
function askedKey(callId: string, query: unknown): CallKey | undefined {
  const { agent_id, action_digest } = query as { agent_id?: unknown; action_digest?: unknown };
  if (typeof agent_id !== "string" || typeof action_digest !== "string") return undefined;
  return { call_id: callId, agent_id, action_digest };
}

function parseBody(body: unknown): z.output<typeof SubmitBody> {
  if (tooDeep(body, MAX_BODY_DEPTH)) {
    throw new HttpError(400, "invalid_tool_call", `the body nests deeper than ${MAX_BODY_DEPTH} levels`);
  }
  const parsed = SubmitBody.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(
      400,
      "invalid_tool_call",
      "the body is not a valid tool call",
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return parsed.data;
}

/**
 * POST /v1/tool-calls[?wait=30s] submits a call (200 with its verdict, or 202 while it is pending);
 * GET /v1/tool-calls/:call_id[?wait=] tells its decision and verdict so far (long-polls with wait);
 * DELETE /v1/tool-calls/:call_id?agent_id= cancels a pending call (its verdict is deny).
 */
export function toolCallRoutes(deps: ToolCallRoutesDeps): FastifyPluginAsync {
  return (app) => {
    app.post("/v1/tool-calls", async (request, reply) => {
      const wait = waitMs(request.query);
      const body = parseBody(request.body);
      let digest: string;
      try {
        digest = actionDigest({ agent_id: body.agent_id, tool: body.tool, args: body.args });
      } catch (error) {
        // RFC 8785 has no form for a lone surrogate: such a call cannot be bound to a digest.
        throw new HttpError(400, "invalid_tool_call", `the call cannot be canonicalised: ${(error as Error).message}`);
      }
      if (body.action_digest !== undefined && body.action_digest !== digest) {
        throw new HttpError(400, "digest_mismatch", "action_digest is not the digest of {agent_id, tool, args}", {
          expected: digest,
        });
      }
      const replyProblem = body.reply_to === undefined ? undefined : replyToProblem(body.agent_id, body.reply_to);
      if (replyProblem !== undefined) throw new HttpError(400, "invalid_reply_to", `reply_to: ${replyProblem}`);
      const callId = body.call_id ?? newId();
      const data = { ...body, call_id: callId, run_id: body.run_id ?? callId, action_digest: digest };
      let event: AirlockEvent<"airlock.tool_call.requested">;
      try {
        event = createEvent({
          type: "airlock.tool_call.requested",
          source: `agent/${body.agent_id}`,
          subject: callId,
          data,
        });
        // Every event is recorded as RFC 8785 canonical JSON: one that has no such form (a lone surrogate
        // anywhere) is refused here rather than left for the audit service to choke on.
        canonicalize(event);
      } catch (error) {
        // The body passed the route's checks but not the event schema (an id too long, …).
        throw new HttpError(400, "invalid_tool_call", (error as Error).message);
      }
      // A call id already submitted (waited for or answered here lately, or recorded) is refused; one racing past both
      // checks through another gateway is dead-lettered by the policy and never gets a verdict here.
      if (body.call_id !== undefined && (deps.waiter.isKnown(callId) || (await deps.lookup(callId)) !== undefined))
        throw duplicateCall(callId);
      const key = { call_id: callId, agent_id: body.agent_id, action_digest: digest };
      const waiting = wait > 0 ? deps.waiter.wait(key, wait) : undefined;
      await deps.transport.publish(event);
      const verdict = await waiting;
      if (verdict && isBound(verdict.data, key))
        return reply.status(200).send({ call_id: callId, action_digest: digest, verdict: verdict.data });
      return reply.status(202).send({ call_id: callId, action_digest: digest, status: "pending" });
    });

    app.get<{ Params: { call_id: string } }>("/v1/tool-calls/:call_id", async (request, reply) => {
      const wait = waitMs(request.query);
      const callId = request.params.call_id;
      const asked = askedKey(callId, request.query);
      const status = await deps.lookup(callId);
      // The call is the one the policy decided; a caller naming another agent or action asks about a
      // call that reused this id, and no verdict under it is that call's.
      const decided: CallKey | undefined = status?.decision && { ...status.decision, call_id: callId };
      if (asked && decided && !isBound(asked, decided)) throw duplicateCall(callId);
      const key = decided ?? asked;
      const answer = (found: CallStatus): CallStatus => {
        // A verdict not bound to the call (forged, or another call's) is never shown as its answer.
        if (found.verdict && key && !isBound(found.verdict, key)) {
          throw new HttpError(409, "verdict_mismatch", `the verdict recorded for ${callId} names another call`);
        }
        return found;
      };
      // Register before reading again, so a verdict landing between the read and the wait is not missed.
      // Without the agent and action, there is nothing to bind a wait to: answer with what is known.
      const waiting = wait > 0 && key && !status?.verdict ? deps.waiter.wait(key, wait) : undefined;
      if (!waiting) {
        if (!status) throw new HttpError(404, "not_found", `no tool call ${callId}`);
        return reply.send(answer(status));
      }
      const verdict = await waiting;
      const latest = answer((await deps.lookup(callId)) ?? { call_id: callId });
      const body = verdict ? { ...latest, verdict: verdict.data } : latest;
      return reply.status(body.verdict ? 200 : 202).send(body);
    });

    app.delete<{ Params: { call_id: string }; Querystring: { agent_id?: string } }>(
      "/v1/tool-calls/:call_id",
      async (request, reply) => {
        const callId = request.params.call_id;
        const status = await deps.lookup(callId);
        const agent = status?.decision?.agent_id ?? request.query.agent_id;
        if (!agent) throw new HttpError(404, "not_found", `no tool call ${callId}`);
        if (status?.verdict)
          throw new HttpError(409, "already_decided", `tool call ${callId} already has its verdict`, status.verdict);
        await deps.transport.publish(
          createEvent({
            type: "airlock.tool_call.cancelled",
            source: "gateway",
            subject: callId,
            data: { call_id: callId, agent_id: agent, reason: "cancelled over the HTTP API" },
          }),
        );
        return reply.status(202).send({ call_id: callId, status: "cancelling" });
      },
    );
    return Promise.resolve();
  };
}
