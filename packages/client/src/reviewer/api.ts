import { z } from "zod";
import { actionDigest, type SignedVote } from "@airlock/shared";

// The approvals part of the HTTP API as a reviewer tool sees it. Responses are parsed, not trusted:
// only what a reviewer acts on is required, the rest passes through.

const Vote = z.looseObject({
  vote_id: z.string(),
  reviewer: z.string(),
  verdict: z.string(),
  role: z.string(),
  comment: z.string().nullable().optional(),
});

/** One approval request as `GET /v1/approvals` lists it. */
export const ApprovalSummary = z.looseObject({
  id: z.string(),
  call_id: z.string(),
  state: z.string(),
  agent: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  action_digest: z.string(),
  requester: z.string().nullable(),
  rule: z.string().nullable(),
  reason: z.string(),
  expires_at: z.string(),
  time_left_ms: z.number().nullable(),
  requirement: z.looseObject({
    quorum: z.number(),
    reviewers: z.array(z.string()),
    veto: z.boolean().optional(),
    confirm_by_requester: z.boolean().optional(),
  }),
  votes: z.array(Vote),
  tally: z.looseObject({ approvals: z.number(), rejections: z.number(), quorum: z.number() }),
  resolution: z.looseObject({ outcome: z.string(), allowed: z.boolean(), reason: z.string() }).nullable(),
});
/** One approval request as listed. */
export type ApprovalSummary = z.output<typeof ApprovalSummary>;

/** One approval request as `GET /v1/approvals/:id` shows it, with the refused votes. */
export const ApprovalDetail = ApprovalSummary.extend({
  refusals: z.array(
    z.looseObject({ vote_id: z.string(), reviewer: z.string(), reason: z.string(), detail: z.string() }),
  ),
});
/** One approval request in detail. */
export type ApprovalDetail = z.output<typeof ApprovalDetail>;

/** What the API answers a posted vote. */
export const VoteAccepted = z.looseObject({ event_id: z.string(), vote_id: z.string(), request_id: z.string() });

/** A JSON error from the API, with its status and code. */
export class AirlockApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AirlockApiError";
  }
}

/** Options of {@link approvalsApi}. */
export interface ApprovalsApiOptions {
  /** The Airlock HTTP API, e.g. http://127.0.0.1:7700 (AIRLOCK_URL). */
  url: string;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** The approvals routes of the HTTP API. */
export interface ApprovalsApi {
  list(options?: { state?: string; limit?: number }): Promise<ApprovalSummary[]>;
  get(id: string): Promise<ApprovalDetail>;
  /** POST a signed vote; the API publishes it to airlock.votes and answers 202. */
  postVote(vote: SignedVote): Promise<z.output<typeof VoteAccepted>>;
}

/** A client of the approvals routes. Errors are {@link AirlockApiError}s carrying the API's code. */
export function approvalsApi(options: ApprovalsApiOptions): ApprovalsApi {
  const base = options.url.replace(/\/$/, "");
  const doFetch = options.fetch ?? fetch;
  async function request<T>(schema: z.ZodType<T>, path: string, body?: unknown): Promise<T> {
    const response = await doFetch(base + path, {
      method: body === undefined ? "GET" : "POST",
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).safeParse(json);
      throw error.success
        ? new AirlockApiError(response.status, error.data.error.code, error.data.error.message)
        : new AirlockApiError(
            response.status,
            "http_error",
            `Airlock answered ${response.status} ${response.statusText}`,
          );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new AirlockApiError(
        response.status,
        "bad_response",
        `unexpected answer from ${path}: ${z.prettifyError(parsed.error)}`,
      );
    return parsed.data;
  }
  return {
    async list(query = {}) {
      const params = new URLSearchParams();
      if (query.state) params.set("state", query.state);
      if (query.limit) params.set("limit", String(query.limit));
      const suffix = params.size > 0 ? `?${params.toString()}` : "";
      return (await request(z.object({ approvals: z.array(ApprovalSummary) }), `/v1/approvals${suffix}`)).approvals;
    },
    get: (id) => request(ApprovalDetail, `/v1/approvals/${encodeURIComponent(id)}`),
    postVote: (vote) => request(VoteAccepted, `/v1/approvals/${encodeURIComponent(vote.request_id)}/votes`, vote),
  };
}

/**
 * Whether a request's `action_digest` is the digest of the agent, tool and arguments it shows. A reviewer
 * tool checks this before signing, so a reviewer never approves an action other than the one displayed.
 */
export function digestMatches(approval: Pick<ApprovalSummary, "agent" | "tool" | "args" | "action_digest">): boolean {
  return (
    actionDigest({ agent_id: approval.agent, tool: approval.tool, args: approval.args }) === approval.action_digest
  );
}
