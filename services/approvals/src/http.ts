import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { HttpError, VoteCast, createEvent, type Queryable, type Transport } from "@airlock/shared";
import { getRequest, listRequests, refusalsOf, votesOf, votesOfMany } from "./store/index.js";
import { approvalDetail, approvalView, refusalView } from "./view.js";

/** What the approvals routes need: the approvals tables to read, the broker to publish votes to. */
export interface ApprovalRoutesDeps {
  sql: Queryable;
  transport: Transport;
  now?: () => Date;
}

const ListQuery = z.strictObject({
  state: z.enum(["pending", "approved", "rejected", "expired", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The `next_before` of the previous page. */
  before: z.string().max(400).optional(),
});

const RefusalsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The first page of refused votes shown with a request. */
const REFUSALS_SHOWN = 100;

/** The opaque cursor of a listing's next page: where the last request of this one stands. */
function cursorOf(row: { opened_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.opened_at.toISOString(), row.id])).toString("base64url");
}

const Cursor = z.tuple([z.iso.datetime({ offset: true }), z.string().max(200)]);

function parseCursor(text: string): { opened_at: Date; id: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const parsed = Cursor.safeParse(value);
  if (!parsed.success) throw new HttpError(400, "bad_request", "invalid query: before is not a cursor this API gave");
  return { opened_at: new Date(parsed.data[0]), id: parsed.data[1] };
}

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
 * `GET /v1/approvals[?state=pending&limit=100&before=CURSOR]` — newest first, each with what a reviewer needs
 * to decide, and `next_before`, the cursor of the next page (null on the last);
 * `GET /v1/approvals/:id` — one request with its votes and the first 100 refused votes (`refusals_total`);
 * `GET /v1/approvals/:id/refusals[?after=N&limit=100]` — its refused votes a page at a time;
 * `POST /v1/approvals/:id/votes` — a signed vote (the data of `vote.cast`), published to airlock.votes
 * and answered 202: the service checks the signature and the rules, and records a refusal when they fail.
 */
export function approvalRoutes(deps: ApprovalRoutesDeps): FastifyPluginAsync {
  const now = deps.now ?? (() => new Date());
  return (app) => {
    app.get("/v1/approvals", async (request) => {
      const query = parse(ListQuery, request.query, "query");
      const rows = await listRequests(deps.sql, {
        limit: query.limit,
        ...(query.state ? { state: query.state } : {}),
        ...(query.before === undefined ? {} : { before: parseCursor(query.before) }),
      });
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
        next_before: rows.length === query.limit ? cursorOf(rows.at(-1)!) : null,
      };
    });

    app.get("/v1/approvals/:id", async (request) => {
      const { id } = parse(IdParams, request.params, "path");
      const row = await getRequest(deps.sql, id);
      if (!row) throw new HttpError(404, "not_found", `no approval request ${id}`);
      const [votes, refusals] = await Promise.all([
        votesOf(deps.sql, id),
        refusalsOf(deps.sql, id, { limit: REFUSALS_SHOWN }),
      ]);
      return approvalDetail(row, votes, refusals, now());
    });

    app.get("/v1/approvals/:id/refusals", async (request) => {
      const { id } = parse(IdParams, request.params, "path");
      const query = parse(RefusalsQuery, request.query, "query");
      const row = await getRequest(deps.sql, id);
      if (!row) throw new HttpError(404, "not_found", `no approval request ${id}`);
      const page = await refusalsOf(deps.sql, id, {
        limit: query.limit,
        ...(query.after === undefined ? {} : { after: query.after }),
      });
      return { refusals: page.rows.map(refusalView), total: page.total, next_after: page.next_after };
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
