import type { KeyObject } from "node:crypto";
import { verifyCheckpointSignature, type Queryable, type SignedCheckpoint } from "@airlock/shared";
import type { CheckpointClaim, SignatureStatus } from "../core/problem.js";
import { listCheckpoints } from "../store/checkpoints.js";

// The checkpoints a verifier checks a chain against: those stored with it, and one kept elsewhere.

/** A checkpoint as the verifier checks it: the signed fields, and where it came from. */
export type Claim = CheckpointClaim & SignedCheckpoint;

/** Whether a trusted key signed the claim. */
export function signatureStatus(claim: Claim, keys: ReadonlyMap<string, KeyObject>): SignatureStatus {
  const key = keys.get(claim.key_id);
  if (!key) return "untrusted_key";
  return verifyCheckpointSignature(claim, key) === "valid" ? "valid" : "bad_signature";
}

/**
 * The chain's stored checkpoints in tree_size order, a page at a time, merged with the one kept
 * elsewhere; from the start, or only those above `afterSize` (the ones up to it were checked already).
 */
export class CheckpointStream {
  readonly #sql: Queryable;
  readonly #chain: string;
  #kept: Claim | undefined;
  #page: Claim[] = [];
  #after: number;
  #exhausted = false;

  constructor(sql: Queryable, chain: string, kept: SignedCheckpoint | undefined, afterSize = -1) {
    this.#sql = sql;
    this.#chain = chain;
    this.#after = afterSize;
    this.#kept = kept && kept.tree_size > afterSize ? { ...pickSigned(kept), source: "kept" } : undefined;
  }

  async peek(): Promise<Claim | undefined> {
    if (this.#page.length === 0 && !this.#exhausted) {
      const rows = await listCheckpoints(this.#sql, this.#chain, this.#after, 100);
      this.#exhausted = rows.length < 100;
      this.#after = rows.at(-1)?.tree_size ?? this.#after;
      this.#page = rows.map((row) => ({ ...pickSigned(row), source: "stored" as const }));
    }
    const stored = this.#page[0];
    if (this.#kept && (!stored || this.#kept.tree_size <= stored.tree_size)) return this.#kept;
    return stored;
  }

  /** Take every claim up to tree size `size`, in order (parallel verification: those of one range). */
  async takeThrough(size: number): Promise<Claim[]> {
    const claims: Claim[] = [];
    for (let claim = await this.peek(); claim && claim.tree_size <= size; claim = await this.peek()) {
      claims.push(claim);
      this.shift();
    }
    return claims;
  }

  shift(): void {
    const stored = this.#page[0];
    if (this.#kept && (!stored || this.#kept.tree_size <= stored.tree_size)) this.#kept = undefined;
    else this.#page.shift();
  }
}

function pickSigned(checkpoint: SignedCheckpoint): SignedCheckpoint {
  const { chain, tree_size, root_hash, head_hash, signed_at, key_id, signature } = checkpoint;
  return { chain, tree_size, root_hash, head_hash, signed_at, key_id, signature };
}
