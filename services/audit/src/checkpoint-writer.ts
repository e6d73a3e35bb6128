import {
  AirlockError,
  MerkleFrontier,
  ZERO_HASH,
  chainHash,
  createEvent,
  enqueueEvents,
  sameHash,
  signCheckpoint,
  type CompletedNode,
  type SignedCheckpoint,
  type SqlClient,
} from "@airlock/shared";
import { insertCheckpoint, insertSubtrees, latestCheckpoint, lockCheckpoints } from "./store/checkpoints.js";
import { readLinks } from "./store/log.js";
import type { AuditSigner } from "./signing-key.js";

/** Subtrees of 2^8 = 256 leaves and up are cached for proofs: ~n/128 rows, and a proof reads ≤ 2 blocks of leaves. */
export const SUBTREE_CACHE_LEVEL = 8;

/** Leaf rows read per query while a checkpoint is computed. */
const PAGE = 5_000;

/** The audit log's storage is not what the appender wrote: refuse to sign over it. */
export class DamagedLogError extends AirlockError {
  constructor(message: string) {
    super(message, { code: "audit_log_damaged", retriable: false });
  }
}

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  chain: string;
  signer: AuditSigner;
  /** The signing time. */
  now: Date;
  /** Most new entries one checkpoint takes in (bounds the transaction); the next call goes on. */
  maxEntries?: number;
}

/**
 * Sign a checkpoint over everything appended to `chain` so far, in one transaction: continue the last
 * checkpoint's Merkle frontier with the leaves after it (checking that seqs are contiguous and every
 * link holds: the service never signs over a chain it cannot vouch for), sign the new tree head, store
 * it with the subtree roots it completed, and enqueue its `airlock.audit.checkpoint` event. Returns
 * undefined when nothing was appended since the last checkpoint.
 */
export async function writeCheckpoint(
  sql: SqlClient,
  options: WriteCheckpointOptions,
): Promise<SignedCheckpoint | undefined> {
  const { chain, signer } = options;
  const maxEntries = options.maxEntries ?? 1_000_000;
  return sql.transaction(async (tx) => {
    await lockCheckpoints(tx, chain);
    const last = await latestCheckpoint(tx, chain);
    const frontier = last ? MerkleFrontier.fromBytes(last.tree_size, last.frontier) : MerkleFrontier.empty();
    const start = frontier.size;
    let head = last ? Buffer.from(last.head_hash, "hex") : ZERO_HASH;
    const nodes: CompletedNode[] = [];
    const keep = (node: CompletedNode): void => {
      if (node.level >= SUBTREE_CACHE_LEVEL) nodes.push(node);
    };
    for (;;) {
      const want = Math.min(PAGE, start + maxEntries - frontier.size);
      if (want <= 0) break;
      const rows = await readLinks(tx, chain, frontier.size - 1, want);
      for (const row of rows) {
        if (row.seq !== frontier.size) throw new DamagedLogError(`chain ${chain}: seq ${frontier.size} is missing`);
        if (!sameHash(row.prev_hash, head) || !sameHash(chainHash(row.prev_hash, row.leaf_hash), row.hash)) {
          throw new DamagedLogError(`chain ${chain}: the link at seq ${row.seq} is broken`);
        }
        frontier.push(row.leaf_hash, keep);
        head = row.hash;
      }
      if (rows.length < want) break;
    }
    if (frontier.size === start) return undefined;
    const signed = signCheckpoint(
      {
        chain,
        tree_size: frontier.size,
        root_hash: frontier.root().toString("hex"),
        head_hash: head.toString("hex"),
        signed_at: options.now.toISOString(),
        key_id: signer.keyId,
      },
      signer.privateKey,
    );
    await insertCheckpoint(tx, { ...signed, frontier: frontier.toBytes() });
    await insertSubtrees(tx, chain, nodes);
    const event = createEvent({
      type: "airlock.audit.checkpoint",
      source: "airlock/audit",
      subject: chain,
      data: signed,
    });
    await enqueueEvents(tx, "audit", [{ event }]);
    return signed;
  });
}
