import { z } from "zod";
import { AuditCheckpoint, ConsistencyProofSchema, InclusionProofSchema } from "@airlock/shared";
import { AirlockApiError } from "../reviewer/api.js";

/** One log entry as GET /v1/audit/events lists it. */
export const AuditEntry = z.looseObject({
  chain: z.string(),
  seq: z.number().int(),
  event_id: z.string(),
  type: z.string(),
  subject: z.string().nullable(),
  recorded_at: z.string(),
  leaf_hash: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
  event: z.unknown(),
});
/** A listed log entry. */
export type AuditEntry = z.output<typeof AuditEntry>;

/** A checkpoint as served: the signed fields and the signer's public key (null when the server lost it). */
export const ServedCheckpoint = z.object({ ...AuditCheckpoint.shape, public_key: z.string().nullable() });
/** A served checkpoint. */
export type ServedCheckpoint = z.output<typeof ServedCheckpoint>;

const EventsPage = z.object({ events: z.array(AuditEntry), next_after_seq: z.number().int().nullable() });
const CheckpointsPage = z.looseObject({ latest: ServedCheckpoint.nullable(), checkpoints: z.array(ServedCheckpoint) });
const ServedInclusion = z.object({ ...InclusionProofSchema.shape, public_key: z.string().nullable() });
const ServedConsistency = z.object({ ...ConsistencyProofSchema.shape, public_key: z.string().nullable() });

/** Filters of {@link AuditApi.events}. */
export interface AuditEventQuery {
  chain?: string;
  subject?: string;
  type?: string;
  agent?: string;
  /** RFC 3339 time: entries recorded at or after it. */
  since?: string;
  /** Entries per request (1..1000). */
  pageSize?: number;
}

/** The audit routes of the HTTP API, for auditors' tools. Proofs it returns are NOT yet verified. */
export interface AuditApi {
  /** Every matching entry, in seq order, fetched a page at a time. */
  events(query?: AuditEventQuery): AsyncGenerator<AuditEntry>;
  /** The inclusion proof of `seq` in the latest checkpoint, or in the one of `checkpoint` entries. */
  proof(seq: number, options?: { chain?: string; checkpoint?: number }): Promise<z.output<typeof ServedInclusion>>;
  /** The consistency proof from the checkpoint of `from` entries to that of `to` (default the latest). */
  consistency(from: number, options?: { chain?: string; to?: number }): Promise<z.output<typeof ServedConsistency>>;
  /** The latest checkpoint, or null before the first. */
  latestCheckpoint(options?: { chain?: string }): Promise<ServedCheckpoint | null>;
}

/** A client of the audit routes. Errors are {@link AirlockApiError}s carrying the API's code. */
export function auditApi(options: { url: string; fetch?: typeof fetch }): AuditApi {
  const base = options.url.replace(/\/$/, "");
  const doFetch = options.fetch ?? fetch;
  async function get<T>(
    schema: z.ZodType<T>,
    path: string,
    query: Record<string, string | number | undefined>,
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const url = `${base}${path}${params.size > 0 ? `?${params.toString()}` : ""}`;
    const response = await doFetch(url);
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
    if (!parsed.success) {
      throw new AirlockApiError(
        response.status,
        "bad_response",
        `unexpected answer from ${path}: ${z.prettifyError(parsed.error)}`,
      );
    }
    return parsed.data;
  }
  return {
    async *events(query = {}) {
      let after: number | null = -1;
      while (after !== null) {
        const page: z.output<typeof EventsPage> = await get(EventsPage, "/v1/audit/events", {
          chain: query.chain,
          subject: query.subject,
          type: query.type,
          agent: query.agent,
          since: query.since,
          after_seq: after,
          limit: query.pageSize ?? 500,
        });
        yield* page.events;
        after = page.next_after_seq;
      }
    },
    proof: (seq, query = {}) =>
      get(ServedInclusion, `/v1/audit/proofs/${seq}`, { chain: query.chain, checkpoint: query.checkpoint }),
    consistency: (from, query = {}) =>
      get(ServedConsistency, "/v1/audit/consistency", { chain: query.chain, from, to: query.to }),
    latestCheckpoint: async (query = {}) =>
      (await get(CheckpointsPage, "/v1/audit/checkpoints", { chain: query.chain, limit: 1 })).latest,
  };
}
