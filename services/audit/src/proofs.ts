import {
  AirlockError,
  consistencyRanges,
  foldRight,
  hashFromHex,
  inclusionRanges,
  perfectSubtrees,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type ConsistencyProof,
  type InclusionProof,
  type LeafRange,
  type Queryable,
} from "@airlock/shared";
import { SUBTREE_CACHE_LEVEL } from "./checkpoint-writer.js";
import {
  checkpointAt,
  latestCheckpoint,
  readSubtrees,
  signedPart,
  type StoredCheckpoint,
} from "./store/checkpoints.js";
import { readEntry, readLeafHashes } from "./store/log.js";

/** Why no proof could be made: a value for the HTTP layer to turn into a 404/409. */
export type ProofRefusal =
  { ok: false; reason: "no_entry"; message: string } | { ok: false; reason: "no_checkpoint"; message: string };

const BLOCK = 2 ** SUBTREE_CACHE_LEVEL;

/**
 * Subtree hashes of one chain, for proofs: perfect subtrees of ≥ 256 leaves from the cache the
 * checkpointer fills, smaller ones from the leaf hashes of their 256-leaf block (read once per proof).
 * A cached subtree that is missing is recomputed from its leaves.
 */
class SubtreeReader {
  readonly #q: Queryable;
  readonly #chain: string;
  readonly #blocks = new Map<number, Buffer[]>();

  constructor(q: Queryable, chain: string) {
    this.#q = q;
    this.#chain = chain;
  }

  /** The RFC 6962 hash of each range (ranges of a proof: aligned, so their pieces fold from the right). */
  async hashes(ranges: readonly LeafRange[]): Promise<Buffer[]> {
    const pieces = ranges.map((range) => perfectSubtrees(range.start, range.end));
    const large = pieces.flat().filter((p) => p.end - p.start >= BLOCK);
    const cached = await readSubtrees(
      this.#q,
      this.#chain,
      large.map((p) => ({ level: Math.log2(p.end - p.start), index: p.start / (p.end - p.start) })),
    );
    const out: Buffer[] = [];
    for (const rangePieces of pieces) {
      const roots: Buffer[] = [];
      for (const piece of rangePieces) {
        const size = piece.end - piece.start;
        const hit = size >= BLOCK ? cached.get(`${Math.log2(size)}:${piece.start / size}`) : undefined;
        roots.push(hit ?? (await this.#compute(piece)));
      }
      out.push(foldRight(roots));
    }
    return out;
  }

  async #compute(piece: LeafRange): Promise<Buffer> {
    if (piece.end - piece.start > BLOCK) {
      const leaves = await this.#leaves(piece.start, piece.end);
      return treeHash(leaves);
    }
    const block = Math.floor(piece.start / BLOCK);
    let leaves = this.#blocks.get(block);
    if (!leaves) {
      leaves = await this.#leaves(block * BLOCK, (block + 1) * BLOCK, piece.end);
      this.#blocks.set(block, leaves);
    }
    const offset = block * BLOCK;
    if (offset + leaves.length < piece.end) {
      throw damaged(this.#chain, `leaves ${piece.start}..${piece.end - 1} are not all in the log, so a proof`);
    }
    return treeHash(leaves, piece.start - offset, piece.end - offset);
  }

  async #leaves(start: number, end: number, needed = end): Promise<Buffer[]> {
    const leaves = await readLeafHashes(this.#q, this.#chain, start, end);
    if (start + leaves.length < needed) {
      throw new AirlockError(`chain ${this.#chain}: leaves ${start}..${needed - 1} are not all in the log`, {
        code: "audit_log_damaged",
        retriable: false,
      });
    }
    return leaves;
  }
}

/**
 * An inclusion proof of entry `seq` in the checkpoint of `treeSize` entries (default: the latest
 * checkpoint). The proof is checked against the signed root before it is returned: a damaged cache or
 * log yields an error, never a proof that does not verify.
 */
export async function inclusionProof(
  q: Queryable,
  options: { chain: string; seq: number; treeSize?: number },
): Promise<{ ok: true; proof: InclusionProof } | ProofRefusal> {
  const { chain, seq } = options;
  const checkpoint = await chooseCheckpoint(q, chain, options.treeSize);
  if (!checkpoint) return { ok: false, reason: "no_checkpoint", message: noCheckpoint(chain, options.treeSize) };
  const entry = await readEntry(q, chain, seq);
  if (!entry) return { ok: false, reason: "no_entry", message: `chain ${chain} has no entry ${seq}` };
  if (seq >= checkpoint.tree_size) {
    return {
      ok: false,
      reason: "no_checkpoint",
      message: `entry ${seq} is not covered by the checkpoint at tree size ${checkpoint.tree_size}; wait for the next checkpoint`,
    };
  }
  const path = await new SubtreeReader(q, chain).hashes(inclusionRanges(seq, checkpoint.tree_size));
  if (!verifyInclusion(entry.leaf_hash, seq, checkpoint.tree_size, path, hashFromHex(checkpoint.root_hash)!)) {
    throw damaged(chain, `the inclusion proof of ${seq} in ${checkpoint.tree_size}`);
  }
  return {
    ok: true,
    proof: {
      chain,
      seq,
      event: entry.event,
      leaf_hash: entry.leaf_hash.toString("hex"),
      tree_size: checkpoint.tree_size,
      path: path.map((hash) => hash.toString("hex")),
      checkpoint: signedPart(checkpoint),
    },
  };
}

/** A consistency proof between the checkpoints of `from` and `to` entries (default `to`: the latest). */
export async function consistencyProof(
  q: Queryable,
  options: { chain: string; from: number; to?: number },
): Promise<{ ok: true; proof: ConsistencyProof } | ProofRefusal> {
  const { chain } = options;
  const older = await checkpointAt(q, chain, options.from);
  if (!older) return { ok: false, reason: "no_checkpoint", message: noCheckpoint(chain, options.from) };
  const newer = await chooseCheckpoint(q, chain, options.to);
  if (!newer) return { ok: false, reason: "no_checkpoint", message: noCheckpoint(chain, options.to) };
  if (older.tree_size > newer.tree_size) {
    return {
      ok: false,
      reason: "no_checkpoint",
      message: `checkpoint ${older.tree_size} is newer than ${newer.tree_size}`,
    };
  }
  const path = await new SubtreeReader(q, chain).hashes(consistencyRanges(older.tree_size, newer.tree_size));
  const ok = verifyConsistency(
    older.tree_size,
    newer.tree_size,
    path,
    hashFromHex(older.root_hash)!,
    hashFromHex(newer.root_hash)!,
  );
  if (!ok) throw damaged(chain, `the consistency proof ${older.tree_size} → ${newer.tree_size}`);
  return {
    ok: true,
    proof: { chain, from: signedPart(older), to: signedPart(newer), path: path.map((hash) => hash.toString("hex")) },
  };
}

async function chooseCheckpoint(
  q: Queryable,
  chain: string,
  treeSize: number | undefined,
): Promise<StoredCheckpoint | undefined> {
  return treeSize === undefined ? latestCheckpoint(q, chain) : checkpointAt(q, chain, treeSize);
}

function noCheckpoint(chain: string, treeSize: number | undefined): string {
  return treeSize === undefined
    ? `chain ${chain} has no checkpoint yet`
    : `chain ${chain} has no checkpoint at tree size ${treeSize}`;
}

function damaged(chain: string, what: string): AirlockError {
  return new AirlockError(
    `chain ${chain}: ${what} does not verify against the signed root; run \`airlock audit verify\``,
    {
      code: "audit_log_damaged",
      retriable: false,
    },
  );
}
