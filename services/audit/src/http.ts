import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { HttpError, type Queryable } from "@airlock/shared";
import { DEFAULT_CHAIN } from "./core/entry.js";
import { consistencyProof, inclusionProof, type ProofRefusal } from "./proofs.js";
import { latestCheckpoint, listCheckpoints, listKeys, signedPart, type StoredCheckpoint } from "./store/checkpoints.js";
import { listEntries } from "./store/events.js";
import { listChains } from "./store/log.js";
import { Coalescer } from "./verify/coalesce.js";
import { verify, type VerifyReport } from "./verify/verify.js";

/** What the audit routes read. */
export interface AuditRoutesDeps {
  sql: Queryable;
}

const chain = z.string().min(1).max(200).default(DEFAULT_CHAIN);
const size = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const EventsQuery = z.object({
  chain,
  subject: z.string().min(1).max(200).optional(),
  type: z.string().min(1).max(200).optional(),
  agent: z.string().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  after_seq: z.coerce.number().int().min(-1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const ProofQuery = z.object({ chain, checkpoint: size.optional() });
const ConsistencyQuery = z.object({ chain, from: size, to: size.optional() });
const CheckpointsQuery = z.object({
  chain,
  after: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const VerifyQuery = z.object({ chain: z.string().min(1).max(200).optional() });

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, "bad_request", z.prettifyError(result.error));
  return result.data;
}

function refused(refusal: ProofRefusal): HttpError {
  return new HttpError(404, refusal.reason, refusal.message);
}

/**
 * The audit part of DESIGN.md's HTTP API: the log (filtered, keyset-paginated), verification, inclusion
 * and consistency proofs, checkpoints and the signing keys. Read-only.
 */
export function auditRoutes(deps: AuditRoutesDeps): FastifyPluginAsync {
  const { sql } = deps;
  // Anyone who reaches the API may ask for a verification, which reads the whole chain: requests that
  // arrive together share one run, two run at once at most, and past 32 waiting the answer is 503.
  const verifications = new Coalescer<VerifyReport>({ running: 2, waiting: 32 });
  return (app) => {
    app.get("/v1/audit/events", async (request) => {
      const query = parse(EventsQuery, request.query);
      const events = await listEntries(sql, {
        chain: query.chain,
        limit: query.limit,
        ...(query.subject === undefined ? {} : { subject: query.subject }),
        ...(query.type === undefined ? {} : { type: query.type }),
        ...(query.agent === undefined ? {} : { agent: query.agent }),
        ...(query.since === undefined ? {} : { since: new Date(query.since) }),
        ...(query.after_seq === undefined ? {} : { afterSeq: query.after_seq }),
      });
      const last = events.at(-1);
      return { chain: query.chain, events, next_after_seq: events.length === query.limit && last ? last.seq : null };
    });

    app.get("/v1/audit/verify", async (request, reply) => {
      const query = parse(VerifyQuery, request.query);
      // A made-up chain name must not take a place among the waiting verifications.
      if (query.chain !== undefined && !(await listChains(sql)).includes(query.chain)) {
        throw new HttpError(404, "not_found", `no chain ${query.chain}`);
      }
      const report = verifications.run(query.chain ?? "", () =>
        verify(sql, query.chain === undefined ? {} : { chain: query.chain }),
      );
      if (!report) {
        void reply.header("retry-after", "5");
        throw new HttpError(503, "busy", "too many verifications are waiting; try again shortly");
      }
      return report;
    });

    app.get("/v1/audit/proofs/:seq", async (request) => {
      const { seq } = parse(z.object({ seq: size }), request.params);
      const query = parse(ProofQuery, request.query);
      const result = await inclusionProof(sql, {
        chain: query.chain,
        seq,
        ...(query.checkpoint === undefined ? {} : { treeSize: query.checkpoint }),
      });
      if (!result.ok) throw refused(result);
      return { ...result.proof, public_key: await publicKeyOf(sql, result.proof.checkpoint.key_id) };
    });

    app.get("/v1/audit/consistency", async (request) => {
      const query = parse(ConsistencyQuery, request.query);
      const result = await consistencyProof(sql, {
        chain: query.chain,
        from: query.from,
        ...(query.to === undefined ? {} : { to: query.to }),
      });
      if (!result.ok) throw refused(result);
      return { ...result.proof, public_key: await publicKeyOf(sql, result.proof.to.key_id) };
    });

    app.get("/v1/audit/checkpoints", async (request) => {
      const query = parse(CheckpointsQuery, request.query);
      const [rows, latest, keys] = await Promise.all([
        listCheckpoints(sql, query.chain, query.after, query.limit),
        latestCheckpoint(sql, query.chain),
        listKeys(sql),
      ]);
      const byId = new Map(keys.map((key) => [key.key_id, key.public_key]));
      const served = (row: StoredCheckpoint) => ({ ...signedPart(row), public_key: byId.get(row.key_id) ?? null });
      const last = rows.at(-1);
      return {
        chain: query.chain,
        latest: latest ? served(latest) : null,
        checkpoints: rows.map(served),
        keys,
        next_after: rows.length === query.limit && last ? last.tree_size : null,
      };
    });

    app.get("/v1/audit/keys", async () => ({ keys: await listKeys(sql) }));
    return Promise.resolve();
  };
}

async function publicKeyOf(sql: Queryable, keyId: string): Promise<string | null> {
  return (await listKeys(sql)).find((key) => key.key_id === keyId)?.public_key ?? null;
}
