import { canonicalize, chainHash, leafHash, type AirlockEvent } from "@airlock/shared";

/** The chain events go to unless a deployment splits the log (one chain per partition, DESIGN.md). */
export const DEFAULT_CHAIN = "main";

/** An event made ready for the log outside any lock: its canonical text and leaf hash. */
export interface PreparedEntry {
  event_id: string;
  type: string;
  subject: string | null;
  /** RFC 8785 canonical JSON of the whole event (envelope and data): the bytes every hash covers. */
  text: string;
  leaf_hash: Buffer;
}

/** One row of `audit.log` as the appender writes it. */
export interface NewEntry extends PreparedEntry {
  seq: number;
  prev_hash: Buffer;
  hash: Buffer;
}

/** Where a chain stands: the seq its next entry gets and the hash that entry links to. */
export interface ChainHead {
  nextSeq: number;
  hash: Buffer;
}

/**
 * Canonicalise and hash an event. Throws a TypeError for what RFC 8785 cannot encode (a lone surrogate
 * smuggled in through a JSON escape): such an event can never be recorded faithfully.
 */
export function prepareEntry(event: AirlockEvent): PreparedEntry {
  const text = canonicalize(event);
  return { event_id: event.id, type: event.type, subject: event.subject ?? null, text, leaf_hash: leafHash(text) };
}

/** Linked rows to insert, the new head, and the entries refused as conflicts. */
export interface Linked {
  rows: NewEntry[];
  head: ChainHead;
  /**
   * Entries whose event id is recorded (or earlier in the batch) with other content: not a redelivery but
   * another event under a taken id. Never recorded in its place, never silently dropped: refused.
   */
  conflicts: Set<PreparedEntry>;
}

/**
 * Link entries onto a chain, in the order given, skipping ids already recorded (`known`: id → leaf hash)
 * and repeats within the batch; an id seen with another leaf hash is a conflict.
 */
export function linkEntries(
  head: ChainHead,
  entries: readonly PreparedEntry[],
  known: ReadonlyMap<string, Buffer>,
): Linked {
  const seen = new Map(known);
  const rows: NewEntry[] = [];
  const conflicts = new Set<PreparedEntry>();
  let { nextSeq, hash } = head;
  for (const entry of entries) {
    const before = seen.get(entry.event_id);
    if (before) {
      if (!before.equals(entry.leaf_hash)) conflicts.add(entry);
      continue;
    }
    seen.set(entry.event_id, entry.leaf_hash);
    const linked = chainHash(hash, entry.leaf_hash);
    // Spelled out: an object spread here cost ~2.5 µs an entry (V8 copies property by property).
    rows.push({
      event_id: entry.event_id,
      type: entry.type,
      subject: entry.subject,
      text: entry.text,
      leaf_hash: entry.leaf_hash,
      seq: nextSeq,
      prev_hash: hash,
      hash: linked,
    });
    nextSeq++;
    hash = linked;
  }
  return { rows, head: { nextSeq, hash }, conflicts };
}
