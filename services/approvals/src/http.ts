import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { HttpError, VoteCast, createEvent, type Queryable, type Transport } from "@airlock/shared";
import { getRequest, listRequests, refusalsOf, votesOf, votesOfMany } from "./store/index.js";
import { approvalDetail, approvalView } from "./view.js";

/** What the approvals routes need: the approvals tables to read, the broker to publish votes to. */
export interface ApprovalRoutesDeps {
  sql: Queryable;
  transport: Transport;
  now?: () => Date;
}

const ListQuery = z.strictObject({
  state: z.enum(["pending", "approved", "rejected", "expired", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const IdParams = z.object({ id: z.string().min(1).max(200) });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, "bad_request", `invalid ${what}: ${z.prettifyError(result.error)}`, result.error.issues);
  }
  return result.data;
}

/**
 * The approvals part of DESIGN.md's HTTP API:
 * `GET /v1/approvals[?state=pending&limit=100]` — newest first, each with what a reviewer needs to decide;
 * `GET /v1/approvals/:id` — one request with its votes and refused votes;
 * `POST /v1/approvals/:id/votes` — a signed vote (the data of `vote.cast`), published to airlock.votes
 * and answered 202: the service checks the signature and the rules, and records a refusal when they fail.
 */
export function approvalRoutes(deps: ApprovalRoutesDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => new Date());
  return (app) => {
    app.get("/v1/approvals", async (request) => {
      const query = parse(ListQuery, request.query, "query");
      const rows = await listRequests(deps.sql, { limit: query.limit, ...(query.state ? { state: query.state } : {}) });
      const votes = await votesOfMany(
        deps.sql,
        rows.map((row) => row.id),
      );
      const at = now();
      return {
        approvals: rows.map((row) =>
          approvalView(
            row,
            votes.filter((vote) => vote.request_id === row.id),
            at,
          ),
        ),
      };
    });

    app.get("/v1/approvals/:id", async (request) => {
      const { id } = parse(IdParams, request.params, "path");
      const row = await getRequest(deps.sql, id);
      if (!row) throw new HttpError(404, "not_found", `no approval request ${id}`);
      const [votes, refusals] = await Promise.all([votesOf(deps.sql, id), refusalsOf(deps.sql, id)]);
      return approvalDetail(row, votes, refusals, now());
    });

    app.post("/v1/approvals/:id/votes", async (request, reply) => {
      const { id } = parse(IdParams, request.params, "path");
      const vote = parse(VoteCast, request.body, "vote");
      if (vote.request_id !== id) {
        throw new HttpError(400, "request_mismatch", `the vote is for request ${vote.request_id}, posted to ${id}`);
      }
      const row = await getRequest(deps.sql, id);
      if (!row) throw new HttpError(404, "not_found", `no approval request ${id}`);
      const event = createEvent({
        type: "airlock.vote.cast",
        source: `reviewer/${vote.reviewer}`,
        subject: row.call_id,
        data: vote,
      });
      await deps.transport.publish(event);
      return reply.status(202).send({ status: "accepted", event_id: event.id, vote_id: vote.vote_id, request_id: id });
    });
    return Promise.resolve();
  };
}
