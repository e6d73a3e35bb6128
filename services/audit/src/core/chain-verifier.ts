import { MerkleFrontier, ZERO_HASH, chainHash, leafHash, sameHash } from "@airlock/shared/verifier";
import { readCanonicalEvent, referenceReadEvent } from "./canonical-text.js";

/** One row of `audit.log` as the verifier reads it. */
export interface StoredEntry {
  seq: number;
  event_id: string;
  type: string;
  subject: string | null;
  event: string;
  leaf_hash: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
}

/** What is wrong with the first entry that does not check out, before it is classified. */
export type EntryFault =
  { fault: "gap" } | { fault: "content"; detail: string } | { fault: "hash"; detail: string } | { fault: "link" };

/**
 * Replays a chain entry by entry in seq order: recomputes each leaf hash from the stored canonical
 * event (and that the text IS canonical and agrees with its columns), each chain hash and link, and
 * the RFC 6962 root with a compact frontier — memory stays at O(log n) whatever the log's length.
 */
export class ChainVerifier {
  readonly #frontier: MerkleFrontier;
  readonly #start: number;
  #head: Buffer;

  /**
   * A verifier of the chain from its first entry — or, with `from`, of the rest of a chain from `seq`
   * on, after the entries before `seq` checked out elsewhere (a worker's range, or the ranges before
   * it): `head` is the chain hash before `seq`, and `frontier` the Merkle frontier of the entries
   * before it, or of none when only the range itself is to be rooted (a worker's own frontier).
   */
  constructor(from?: { seq: number; head: Buffer; frontier?: MerkleFrontier }) {
    this.#frontier = from?.frontier?.clone() ?? MerkleFrontier.empty();
    this.#start = (from?.seq ?? 0) - this.#frontier.size;
    this.#head = from?.head ?? ZERO_HASH;
  }

  /** The seq the next entry must have: entries accepted, plus the seq this verifier started from. */
  get size(): number {
    return this.#start + this.#frontier.size;
  }

  /** The Merkle frontier of the entries this verifier was given and accepted. */
  get frontier(): MerkleFrontier {
    return this.#frontier.clone();
  }

  /** The chain hash after the accepted entries (32 zero bytes before the first). */
  get head(): Buffer {
    return this.#head;
  }

  /** The RFC 6962 root over the entries of {@link frontier}. */
  root(): Buffer {
    return this.#frontier.root();
  }

  /** The fault of `entry` as the next entry of the chain, or undefined when it checks out. */
  check(entry: StoredEntry): EntryFault | undefined {
    if (entry.seq !== this.size) return { fault: "gap" };
    const own = entryFault(entry);
    if (own) return own;
    if (!sameHash(entry.prev_hash, this.#head)) return { fault: "link" };
    return undefined;
  }

  /** Take an entry that {@link check} passed. */
  accept(entry: StoredEntry): void {
    this.#frontier.push(entry.leaf_hash);
    this.#head = entry.hash;
  }
}

/** What is wrong with an entry on its own, ignoring where it sits in the chain. */
export function entryFault(entry: StoredEntry): EntryFault | undefined {
  const fields = readCanonicalEvent(entry.event) ?? referenceReadEvent(entry.event);
  if ("refused" in fields) {
    const detail =
      fields.refused === "not JSON"
        ? "the stored event is not JSON"
        : "the stored event is not RFC 8785 canonical JSON";
    return { fault: "content", detail };
  }
  if (fields.id !== entry.event_id) return { fault: "content", detail: "event_id does not match the event's id" };
  if (fields.type !== entry.type) return { fault: "content", detail: "type does not match the event's type" };
  if ((fields.subject ?? null) !== entry.subject) {
    return { fault: "content", detail: "subject does not match the event's subject" };
  }
  if (!sameHash(leafHash(entry.event), entry.leaf_hash)) {
    return { fault: "content", detail: "the stored event does not hash to its leaf_hash" };
  }
  if (!sameHash(chainHash(entry.prev_hash, entry.leaf_hash), entry.hash)) {
    return { fault: "hash", detail: "hash is not SHA-256(prev_hash ‖ leaf_hash)" };
  }
  return undefined;
}
