import { sameHash } from "@airlock/shared";
import { entryFault, type EntryFault, type StoredEntry } from "./chain-verifier.js";

/** How a log was tampered with (or damaged), as the verifier names it. */
export type ProblemKind =
  "edited" | "deleted" | "inserted" | "reordered" | "truncated" | "rewritten" | "bad_signature" | "untrusted_key";

/** The first thing wrong with a chain: its kind, the first bad seq, and what was found. */
export interface Problem {
  kind: ProblemKind;
  /** The first seq that cannot be trusted. */
  seq: number;
  message: string;
  /** The checkpoint involved, for checkpoint problems. */
  tree_size?: number;
}

/** What the verifier looked up around a faulty entry to tell one kind of tampering from another. */
export interface FaultContext {
  /** The seq the faulty entry should have had, and the chain hash it should link to. */
  expectedSeq: number;
  expectedPrev: Buffer;
  /** The entry stored after the faulty one, if any. */
  next?: StoredEntry;
  /** For a link fault: the seq of the entry whose hash the faulty entry's prev_hash is (null: none). */
  linkedSeq?: number | null;
}

/**
 * Name what happened at the first faulty entry. Deletions show as a seq gap or as a link to a hash no
 * entry has; an insertion as an entry the next one skips over (the next links straight to the entry
 * before); a swap as entries linking in the wrong order; an edit as an entry that no longer hashes to
 * its own hashes.
 */
export function classify(fault: EntryFault, entry: StoredEntry, context: FaultContext): Problem {
  const s = context.expectedSeq;
  if (fault.fault === "gap") {
    if (entry.seq > s) {
      const missing = entry.seq - s === 1 ? `entry ${s} is missing` : `entries ${s}..${entry.seq - 1} are missing`;
      return { kind: "deleted", seq: s, message: `${missing}: the log jumps from seq ${s - 1} to ${entry.seq}` };
    }
    return { kind: "inserted", seq: entry.seq, message: `seq ${entry.seq} appears again after seq ${s - 1}` };
  }
  const { next } = context;
  if (next && next.seq === s + 1 && entryFault(next) === undefined && sameHash(next.prev_hash, context.expectedPrev)) {
    if (sameHash(entry.prev_hash, next.hash) && entryFault(entry) === undefined) {
      return {
        kind: "reordered",
        seq: s,
        message: `entries ${s} and ${s + 1} are swapped: ${s + 1} links to ${s - 1}, ${s} to ${s + 1}`,
      };
    }
    return {
      kind: "inserted",
      seq: s,
      message: `entry ${s} does not belong: entry ${s + 1} links straight to entry ${s - 1}`,
    };
  }
  if (fault.fault === "content") return { kind: "edited", seq: s, message: `entry ${s} was edited: ${fault.detail}` };
  if (fault.fault === "hash") return { kind: "edited", seq: s, message: `entry ${s} was edited: ${fault.detail}` };
  const linked = context.linkedSeq;
  if (linked === undefined || linked === null) {
    return {
      kind: "deleted",
      seq: s,
      message: `entry ${s} links to a hash no entry has: the entry before it was deleted (and the rest renumbered) or rewritten`,
    };
  }
  if (linked > s) {
    return { kind: "reordered", seq: s, message: `entry ${s} belongs after entry ${linked}: the log was reordered` };
  }
  if (linked < s - 1) {
    const extra = linked + 1 === s - 1 ? `entry ${s - 1} does` : `entries ${linked + 1}..${s - 1} do`;
    return { kind: "inserted", seq: linked + 1, message: `${extra} not belong: entry ${s} links to entry ${linked}` };
  }
  return { kind: "edited", seq: s, message: `entry ${s}'s prev_hash was edited` };
}

/** A checkpoint as the verifier compares it. */
export interface CheckpointClaim {
  tree_size: number;
  root_hash: string;
  head_hash: string;
  key_id: string;
  /** `stored` in audit.checkpoints, or `kept` elsewhere by the auditor (--checkpoint FILE). */
  source: "stored" | "kept";
}

/** Whether a checkpoint's signature is by a trusted key. */
export type SignatureStatus = "valid" | "bad_signature" | "untrusted_key";

/** The problem with a checkpoint's signature, or undefined when a trusted key signed it. */
export function signatureProblem(
  claim: CheckpointClaim,
  signature: SignatureStatus,
  vouched: number,
): Problem | undefined {
  const base = { seq: vouched, tree_size: claim.tree_size };
  if (signature === "untrusted_key") {
    return {
      ...base,
      kind: "untrusted_key",
      message: `${describe(claim)} is signed by key ${claim.key_id}, which is not trusted`,
    };
  }
  if (signature === "bad_signature")
    return { ...base, kind: "bad_signature", message: `${describe(claim)} has a bad signature` };
  return undefined;
}

/**
 * The problem with a checkpoint reached at `tree_size` entries, or undefined when its signature is
 * good and it matches the recomputed root and head. `vouched` is where the last good checkpoint ended:
 * a checkpoint that fails leaves the entries after it unvouched, so that is the first bad seq.
 */
export function checkpointProblem(
  claim: CheckpointClaim,
  computed: { root: Buffer; head: Buffer },
  signature: SignatureStatus,
  vouched: number,
): Problem | undefined {
  const forged = signatureProblem(claim, signature, vouched);
  if (forged) return forged;
  if (claim.root_hash !== computed.root.toString("hex") || claim.head_hash !== computed.head.toString("hex")) {
    const range =
      vouched === claim.tree_size - 1 ? `entry ${vouched} was` : `entries ${vouched}..${claim.tree_size - 1} were`;
    return {
      kind: "rewritten",
      seq: vouched,
      tree_size: claim.tree_size,
      message: `${describe(claim)} does not match the log: ${range} rewritten since it was signed`,
    };
  }
  return undefined;
}

function describe(claim: CheckpointClaim): string {
  return `${claim.source === "kept" ? "the checkpoint kept elsewhere" : "the stored checkpoint"} at tree size ${claim.tree_size}`;
}

/** A checkpoint covering more entries than the log holds: the tail was cut off. */
export function truncationProblem(claim: CheckpointClaim, size: number): Problem {
  const what = claim.source === "kept" ? "the checkpoint kept elsewhere" : "a stored checkpoint";
  return {
    kind: "truncated",
    seq: size,
    tree_size: claim.tree_size,
    message: `the log ends at ${size} entries but ${what} covers ${claim.tree_size}: entries ${size}..${claim.tree_size - 1} were removed`,
  };
}
