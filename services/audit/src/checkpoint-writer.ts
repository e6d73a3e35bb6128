import {
  AirlockError,
  MerkleFrontier,
  ZERO_HASH,
  chainHash,
  createEvent,
  enqueueEvents,
  sameHash,
  signCheckpoint,
  verifyCheckpointSignature,
  type CompletedNode,
  type SignedCheckpoint,
  type SqlClient,
} from "@airlock/shared";
import {
  insertCheckpoint,
  insertSubtrees,
  latestCheckpoint,
  lockCheckpoints,
  type StoredCheckpoint,
} from "./store/checkpoints.js";
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

/**
 * What a signer last signed of a chain, kept outside the database (see checkpoint-state.ts): enough to go
 * on from there without believing anything the database says about what came before.
 */
export interface SignedState {
  tree_size: number;
  root_hash: string;
  head_hash: string;
  /** The Merkle frontier at `tree_size` (MerkleFrontier.toBytes), hex. */
  frontier: string;
}

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  chain: string;
  signer: AuditSigner;
  /** The signing time. */
  now: Date;
  /** Most new entries one checkpoint takes in (bounds the transaction); the next call goes on. */
  maxEntries?: number;
  /**
   * What this signer signed last, from outside the database. Given, the new checkpoint must extend it:
   * entries are checked from its head on, and a database whose checkpoints stop short of it (deleted)
   * or disagree with the entries is refused.
   */
  kept?: SignedState;
  /**
   * Told, before COMMIT, what to keep once the transaction commits: the new checkpoint, or — when nothing
   * was new — how far the links were checked from the kept head (past another instance's checkpoints,
   * each checked against the entries), so an instance that rarely signs does not fall ever further behind.
   */
  keep?: (state: SignedState) => void;
}

/** Where a checkpoint starts: the frontier and chain head it goes on from. */
interface Start {
  frontier: MerkleFrontier;
  head: Buffer;
}

/**
 * Sign a checkpoint over everything appended to `chain` so far, in one transaction: continue a Merkle
 * frontier with the leaves after it (checking that seqs are contiguous and every link holds: the service
 * never signs over a chain it cannot vouch for), sign the new tree head, store it with the subtree roots
 * it completed, and enqueue its `airlock.audit.checkpoint` event. Returns undefined when nothing was
 * appended since the last checkpoint.
 *
 * The frontier is the one this signer kept (`kept`) when it has one — so that a database superuser who
 * rewrites the chain and deletes the checkpoints gets no signature over the rewrite — else the database's
 * latest checkpoint's, whose stored frontier must give its signed root.
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
    const { frontier, head: startHead } = startOf(chain, last, options);
    // Nothing is signed unless it goes past the latest checkpoint, whoever signed it.
    const start = Math.max(frontier.size, last?.tree_size ?? 0);
    // Another instance's checkpoint past ours must be what the entries give at its size.
    const check = last && last.tree_size > frontier.size ? last : undefined;
    let head = startHead;
    const from = frontier.size;
    const nodes: CompletedNode[] = [];
    const keep = (node: CompletedNode): void => {
      if (node.level >= SUBTREE_CACHE_LEVEL) nodes.push(node);
    };
    for (;;) {
      const want = Math.min(PAGE, from + maxEntries - frontier.size);
      if (want <= 0) break;
      const rows = await readLinks(tx, chain, frontier.size - 1, want);
      for (const row of rows) {
        if (row.seq !== frontier.size) throw new DamagedLogError(`chain ${chain}: seq ${frontier.size} is missing`);
        if (!sameHash(row.prev_hash, head) || !sameHash(chainHash(row.prev_hash, row.leaf_hash), row.hash)) {
          throw new DamagedLogError(`chain ${chain}: the link at seq ${row.seq} is broken`);
        }
        frontier.push(row.leaf_hash, keep);
        head = row.hash;
        if (check && frontier.size === check.tree_size) agrees(chain, check, frontier, head);
      }
      if (rows.length < want) break;
    }
    if (frontier.size <= start) {
      // Nothing to sign, but every link from the kept head on was checked (and another instance's
      // checkpoint matched where it stands): go on from here next time, rather than from ever further back.
      if (frontier.size > from) {
        options.keep?.({
          tree_size: frontier.size,
          root_hash: frontier.root().toString("hex"),
          head_hash: head.toString("hex"),
          frontier: frontier.toBytes().toString("hex"),
        });
      }
      return undefined;
    }
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
    options.keep?.({
      tree_size: signed.tree_size,
      root_hash: signed.root_hash,
      head_hash: signed.head_hash,
      frontier: frontier.toBytes().toString("hex"),
    });
    return signed;
  });
}

function startOf(chain: string, last: StoredCheckpoint | undefined, options: WriteCheckpointOptions): Start {
  const { kept, signer } = options;
  if (kept) {
    if (!last || last.tree_size < kept.tree_size) {
      throw new DamagedLogError(
        `chain ${chain}: this signer signed ${kept.tree_size} entries (root ${kept.root_hash}), but the database's checkpoints cover ${last?.tree_size ?? 0}: checkpoints were deleted; refusing to sign`,
      );
    }
    const frontier = MerkleFrontier.fromBytes(kept.tree_size, Buffer.from(kept.frontier, "hex"));
    if (frontier.root().toString("hex") !== kept.root_hash) {
      throw new DamagedLogError(
        `chain ${chain}: the kept checkpoint state does not give its own root; refusing to sign`,
      );
    }
    return { frontier, head: Buffer.from(kept.head_hash, "hex") };
  }
  if (!last) return { frontier: MerkleFrontier.empty(), head: ZERO_HASH };
  const frontier = MerkleFrontier.fromBytes(last.tree_size, last.frontier);
  if (frontier.root().toString("hex") !== last.root_hash) {
    throw new DamagedLogError(
      `chain ${chain}: the stored frontier of checkpoint ${last.tree_size} does not give its signed root`,
    );
  }
  if (last.key_id === signer.keyId && verifyCheckpointSignature(last, signer.publicKey) !== "valid") {
    throw new DamagedLogError(
      `chain ${chain}: checkpoint ${last.tree_size} bears this signer's key id but not its signature`,
    );
  }
  return { frontier, head: Buffer.from(last.head_hash, "hex") };
}

/** The entries give what `checkpoint` says at its size, or the log (or the checkpoint) was rewritten. */
function agrees(chain: string, checkpoint: StoredCheckpoint, frontier: MerkleFrontier, head: Buffer): void {
  if (frontier.root().toString("hex") !== checkpoint.root_hash || head.toString("hex") !== checkpoint.head_hash) {
    throw new DamagedLogError(
      `chain ${chain}: the entries do not give checkpoint ${checkpoint.tree_size}'s root and head; refusing to sign`,
    );
  }
}
