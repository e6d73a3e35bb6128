import type { KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { AuditCheckpoint, auditKeyId, parseAuditPublicKey, type Queryable } from "@airlock/shared";
import { CheckpointStream, signatureStatus } from "./checkpoint-claims.js";
import { ChainVerifier, type StoredEntry } from "../core/chain-verifier.js";
import { checkpointProblem, classify, signatureProblem, truncationProblem, type Problem } from "../core/problem.js";
import { listKeys } from "../store/checkpoints.js";
import { listChains, readEntries, seqOfHash } from "../store/log.js";
import { emptyPrefix, verifyRanges, type VerifiedPrefix } from "./ranges.js";
import { VerifyWorkers } from "./worker-pool.js";

/** A checkpoint an auditor kept elsewhere: as served by GET /v1/audit/checkpoints, maybe with its public key. */
export const KeptCheckpointSchema = z.object({ ...AuditCheckpoint.shape, public_key: z.string().optional() });

/** A kept checkpoint. */
export type KeptCheckpoint = z.output<typeof KeptCheckpointSchema>;

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** One chain; default every chain. */
  chain?: string;
  /** A checkpoint kept outside the database: a log cut short or rewritten since it was signed fails. */
  checkpoint?: KeptCheckpoint;
  /**
   * Keys trusted to sign checkpoints (`ed25519:…` or PEM text, or KeyObjects). The kept checkpoint's
   * `public_key` is trusted too. With none, the keys listed in audit.keys are used — the database
   * vouching for itself, reported as `trust: "database"`.
   */
  publicKeys?: ReadonlyArray<string | KeyObject>;
  /**
   * Entries per query (constant memory: one page at a time, plus one read ahead). Default 2000: larger
   * pages outlive V8's young generation and cost more in garbage collection than they save in round
   * trips (measured: 2,000 ≈ 25% less CPU than 5,000, 10,000 worse again).
   */
  pageSize?: number;
  /**
   * Check each chain in ranges at once, in worker threads with database connections of their own —
   * for a Postgres server (`databaseUrl`, postgres://…), as the embedded database cannot be shared
   * between threads. The ranges are joined in seq order; the first range with anything wrong in it is
   * replayed serially, so a problem is named exactly as without this option.
   */
  parallel?: ParallelOptions;
}

/** Options of parallel verification. */
export interface ParallelOptions {
  databaseUrl: string;
  /** Threads; default the machine's available parallelism, at most 8. One or none: serial. */
  workers?: number;
  /** Entries per range, a power of two; default 4096. */
  rangeSize?: number;
  /**
   * Chains shorter than this are checked serially; default 100,000. Each thread compiles the checking
   * code anew and opens its own connections, which costs more than it saves on a short chain (measured
   * on 2 cores: 200,000 entries took 0.7× as long in parallel, 20,000 took longer than serially).
   */
  minEntries?: number;
}

const DEFAULT_RANGE_SIZE = 4096;
const DEFAULT_MIN_ENTRIES = 100_000;

/** The verdict on one chain. */
export interface ChainReport {
  chain: string;
  ok: boolean;
  /** Entries that checked out (all of them when ok). */
  entries: number;
  /** Checkpoints whose signature and root checked out. */
  checkpoints: number;
  /** Entries after the last good checkpoint: intact, but not yet vouched for by a signature. */
  unvouched: number;
  root_hash: string;
  head_hash: string;
  problem?: Problem;
}

/** The verdict on the log. */
export interface VerifyReport {
  ok: boolean;
  /** `pinned`: signatures checked against keys given by the caller; `database`: against audit.keys. */
  trust: "pinned" | "database";
  key_ids: string[];
  chains: ChainReport[];
}

/**
 * Verify the audit log straight from the database, trusting nothing the server says: stream every
 * chain in seq order (seq-range pages), check that every stored event is canonical JSON agreeing with
 * its columns (one pass over the text; see readCanonicalEvent), recompute every leaf hash from the
 * stored text, every chain hash and link, seq continuity from 0, the RFC 6962 root at every checkpoint
 * (with a compact frontier, never all leaves) and every checkpoint's signature, and check that no
 * checkpoint covers more than the log holds. Stops each chain at its first problem and names the first
 * bad seq.
 */
export async function verify(sql: Queryable, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { keys, trust } = await trustedKeys(sql, options);
  const kept = options.checkpoint;
  let chains = options.chain === undefined ? await listChains(sql) : [options.chain];
  if (kept && !chains.includes(kept.chain) && (options.chain === undefined || options.chain === kept.chain)) {
    chains = [...chains, kept.chain];
  }
  const pageSize = options.pageSize ?? 2_000;
  const ranges = rangeSettings(options.parallel);
  // Started for the first chain long enough to split, and shared by the chains after it.
  let workers: VerifyWorkers | undefined;
  try {
    const reports: ChainReport[] = [];
    for (const chain of chains) {
      const chainOptions = { keys, kept: kept?.chain === chain ? kept : undefined, pageSize };
      const prefix = ranges
        ? await verifyRanges(sql, chain, () => (workers ??= new VerifyWorkers(ranges.threads, ranges.databaseUrl)), {
            ...chainOptions,
            ...ranges,
          })
        : emptyPrefix();
      reports.push(await verifyChain(sql, chain, chainOptions, prefix));
    }
    return { ok: reports.every((r) => r.ok), trust, key_ids: [...keys.keys()], chains: reports };
  } finally {
    await workers?.close();
  }
}

// The parallel options with their defaults, or undefined for serial verification (no options, or one thread).
function rangeSettings(parallel: ParallelOptions | undefined) {
  const rangeSize = parallel?.rangeSize ?? DEFAULT_RANGE_SIZE;
  if (!Number.isSafeInteger(rangeSize) || rangeSize < 1 || (rangeSize & (rangeSize - 1)) !== 0) {
    throw new RangeError(`parallel.rangeSize must be a power of two, not ${rangeSize}`);
  }
  const threads = parallel?.workers ?? Math.min(availableParallelism(), 8);
  if (!parallel || threads <= 1) return undefined;
  const { databaseUrl, minEntries = DEFAULT_MIN_ENTRIES } = parallel;
  return { databaseUrl, threads, rangeSize, minEntries };
}

async function trustedKeys(
  sql: Queryable,
  options: VerifyOptions,
): Promise<{ keys: Map<string, KeyObject>; trust: VerifyReport["trust"] }> {
  const given = [...(options.publicKeys ?? [])];
  if (options.checkpoint?.public_key) given.push(options.checkpoint.public_key);
  const texts = given.length > 0 ? given : (await listKeys(sql)).map((row) => row.public_key);
  const keys = new Map<string, KeyObject>();
  for (const key of texts) {
    const object = typeof key === "string" ? parseAuditPublicKey(key) : key;
    keys.set(auditKeyId(object), object);
  }
  return { keys, trust: given.length > 0 ? "pinned" : "database" };
}

interface ChainOptions {
  keys: ReadonlyMap<string, KeyObject>;
  kept: KeptCheckpoint | undefined;
  pageSize: number;
}

// Verify the chain serially from where `prefix` left it (the start, or the first range with a problem).
async function verifyChain(
  sql: Queryable,
  chain: string,
  options: ChainOptions,
  prefix: VerifiedPrefix,
): Promise<ChainReport> {
  const verified = prefix.frontier.size;
  const verifier = new ChainVerifier({ seq: verified, head: prefix.head, frontier: prefix.frontier });
  // The checkpoints up to the prefix's size checked out with it; with an empty prefix, none did.
  const checkpoints = new CheckpointStream(sql, chain, options.kept, verified > 0 ? verified : -1);
  let { vouched, good } = prefix;
  const report = (problem?: Problem): ChainReport => ({
    chain,
    ok: problem === undefined,
    entries: verifier.size,
    checkpoints: good,
    unvouched: verifier.size - vouched,
    root_hash: verifier.root().toString("hex"),
    head_hash: verifier.head.toString("hex"),
    ...(problem ? { problem } : {}),
  });
  // Checkpoints reached at the current size: each must be signed by a trusted key and match. Also says
  // at which size the next one is due, so the loop below awaits nothing between checkpoints.
  let due: number | undefined;
  const reached = async (): Promise<Problem | undefined> => {
    for (let claim = await checkpoints.peek(); claim; claim = await checkpoints.peek()) {
      due = claim.tree_size;
      if (claim.tree_size !== verifier.size) return undefined;
      const problem = checkpointProblem(
        claim,
        { root: verifier.root(), head: verifier.head },
        signatureStatus(claim, options.keys),
        vouched,
      );
      if (problem) return problem;
      vouched = verifier.size;
      good++;
      checkpoints.shift();
    }
    due = undefined;
    return undefined;
  };

  let problem = await reached();
  if (problem) return report(problem);
  let ahead: Promise<StoredEntry[]> | undefined = readEntries(sql, chain, verified - 1, options.pageSize);
  while (ahead) {
    const page: StoredEntry[] = await ahead;
    const last = page.at(-1);
    // Read the next page while this one is hashed: the database and the CPU work at the same time.
    ahead = last && page.length === options.pageSize ? readEntries(sql, chain, last.seq, options.pageSize) : undefined;
    for (let i = 0; i < page.length; i++) {
      const entry = page[i]!;
      const fault = verifier.check(entry);
      if (fault) {
        await settled(ahead);
        const next = page[i + 1] ?? (await readEntries(sql, chain, entry.seq, 1))[0];
        const linkedSeq = fault.fault === "link" ? await seqOfHash(sql, chain, entry.prev_hash) : undefined;
        return report(
          classify(fault, entry, {
            expectedSeq: verifier.size,
            expectedPrev: verifier.head,
            ...(next ? { next } : {}),
            ...(linkedSeq === undefined ? {} : { linkedSeq }),
          }),
        );
      }
      verifier.accept(entry);
      if (verifier.size !== due) continue;
      problem = await reached();
      if (problem) {
        await settled(ahead);
        return report(problem);
      }
    }
  }
  // Checkpoints beyond the end of the log: the tail was cut off (unless the checkpoint itself is forged).
  const beyond = await checkpoints.peek();
  if (beyond) {
    const forged = signatureProblem(beyond, signatureStatus(beyond, options.keys), vouched);
    return report(forged ?? truncationProblem(beyond, verifier.size));
  }
  return report();
}

// The verdict is known; a read-ahead that fails now changes nothing about it.
async function settled(ahead: Promise<unknown> | undefined): Promise<void> {
  try {
    await ahead;
  } catch {
    return;
  }
}
