import type { AirlockEvent, SqlClient } from "@airlock/shared";
import { DEFAULT_CHAIN, linkEntries, prepareEntry, type ChainHead, type PreparedEntry } from "../core/entry.js";
import { insertEntries, lockChain, readHeadAndRecorded, registerChain } from "./log.js";

/** What one append transaction did to one chain. */
export interface ChainAppend {
  appended: number;
  /** Entries skipped because their event id was already recorded, with the same content. */
  duplicates: number;
  /** Entries refused because their event id was already recorded with other content. */
  conflicts: ReadonlySet<PreparedEntry>;
  head: ChainHead;
}

/**
 * Append prepared entries to their chains in ONE transaction: lock each chain (sorted, so two writers
 * never deadlock), drop ids already recorded, link the rest onto the head and insert them with one
 * statement per chain. Whatever the broker redelivers, an event id is recorded once.
 */
export async function appendEntries(
  sql: SqlClient,
  byChain: ReadonlyMap<string, readonly PreparedEntry[]>,
): Promise<Map<string, ChainAppend>> {
  const chains = [...byChain.keys()].sort();
  return sql.transaction(async (tx) => {
    for (const chain of chains) await lockChain(tx, chain);
    // After the locks: anything another writer recorded before us has committed and is visible
    // (READ COMMITTED takes a fresh snapshot per statement).
    const known = new Map<string, Buffer>();
    const results = new Map<string, ChainAppend>();
    for (const chain of chains) {
      const entries = byChain.get(chain)!;
      const { head, recorded } = await readHeadAndRecorded(
        tx,
        chain,
        entries.map((entry) => entry.event_id),
      );
      for (const [id, leaf] of recorded) known.set(id, leaf);
      const linked = linkEntries(head, entries, known);
      if (head.nextSeq === 0 && linked.rows.length > 0) await registerChain(tx, chain);
      await insertEntries(tx, chain, linked.rows);
      for (const row of linked.rows) known.set(row.event_id, row.leaf_hash);
      results.set(chain, {
        appended: linked.rows.length,
        duplicates: entries.length - linked.rows.length - linked.conflicts.size,
        conflicts: linked.conflicts,
        head: linked.head,
      });
    }
    return results;
  });
}

/**
 * Append events to one chain in one locked transaction ({@link appendEntries}), without transport or a
 * remembered head: the service itself appends through ChainAppender.
 */
export async function appendEvents(
  sql: SqlClient,
  events: readonly AirlockEvent[],
  chain: string = DEFAULT_CHAIN,
): Promise<ChainAppend> {
  const results = await appendEntries(sql, new Map([[chain, events.map((event) => prepareEntry(event))]]));
  return results.get(chain)!;
}
