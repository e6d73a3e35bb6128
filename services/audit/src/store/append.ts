import { PG_ERROR, sqlState, type AirlockEvent, type SqlClient } from "@airlock/shared";
import { DEFAULT_CHAIN, linkEntries, prepareEntry, type ChainHead, type PreparedEntry } from "../core/entry.js";
import { insertEntries, insertEntriesIfHead, lockChain, readHeadAndRecorded, registerChain } from "./log.js";

/** What one append transaction did to one chain. */
export interface ChainAppend {
  appended: number;
  /** Entries skipped because their event id was already recorded. */
  duplicates: number;
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
    const known = new Set<string>();
    const results = new Map<string, ChainAppend>();
    for (const chain of chains) {
      const entries = byChain.get(chain)!;
      const { head, recorded } = await readHeadAndRecorded(
        tx,
        chain,
        entries.map((entry) => entry.event_id),
      );
      for (const id of recorded) known.add(id);
      const linked = linkEntries(head, entries, known);
      if (head.nextSeq === 0 && linked.rows.length > 0) await registerChain(tx, chain);
      await insertEntries(tx, chain, linked.rows);
      for (const row of linked.rows) known.add(row.event_id);
      results.set(chain, {
        appended: linked.rows.length,
        duplicates: entries.length - linked.rows.length,
        head: linked.head,
      });
    }
    return results;
  });
}

/**
 * Appends as the service does: like {@link appendEntries}, but remembering each chain's head after its
 * own commits, so that a batch for one chain is linked before it reaches the database and goes in as a
 * single statement that checks the head itself and lets the unique index refuse recorded ids
 * ({@link insertEntriesIfHead}) — one round trip instead of five (BEGIN, lock, head and ids, INSERT,
 * COMMIT). When the chain moved (another instance appended), an id is recorded already, or nothing is
 * remembered yet, the batch takes the locked transaction of {@link appendEntries}, which reads the
 * truth, skips recorded ids and remembers the new head.
 */
export class ChainAppender {
  readonly #sql: SqlClient;
  readonly #heads = new Map<string, ChainHead>();

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async append(byChain: ReadonlyMap<string, readonly PreparedEntry[]>): Promise<Map<string, ChainAppend>> {
    try {
      const fast = await this.#appendKnownHead(byChain);
      if (fast) return fast;
      const results = await appendEntries(this.#sql, byChain);
      for (const [chain, result] of results) this.#heads.set(chain, result.head);
      return results;
    } catch (error) {
      // Committed or not, the head is unknown now: the next append reads it.
      for (const chain of byChain.keys()) this.#heads.delete(chain);
      throw error;
    }
  }

  async #appendKnownHead(
    byChain: ReadonlyMap<string, readonly PreparedEntry[]>,
  ): Promise<Map<string, ChainAppend> | undefined> {
    if (byChain.size !== 1) return undefined;
    const [chain, entries] = [...byChain][0]!;
    const head = this.#heads.get(chain);
    if (!head) return undefined;
    const linked = linkEntries(head, entries, new Set());
    try {
      if (!(await insertEntriesIfHead(this.#sql, chain, linked.rows, head))) return undefined;
    } catch (error) {
      // An id recorded already, or another writer committed while the statement waited for the lock
      // (see insertEntriesIfHead): nothing was inserted.
      if (sqlState(error) === PG_ERROR.uniqueViolation) return undefined;
      throw error;
    }
    this.#heads.set(chain, linked.head);
    const result = { appended: linked.rows.length, duplicates: entries.length - linked.rows.length, head: linked.head };
    return new Map([[chain, result]]);
  }
}

/** Append events to one chain in one transaction, as the service does with a batch (no transport). */
export async function appendEvents(
  sql: SqlClient,
  events: readonly AirlockEvent[],
  chain: string = DEFAULT_CHAIN,
): Promise<ChainAppend> {
  const results = await appendEntries(sql, new Map([[chain, events.map((event) => prepareEntry(event))]]));
  return results.get(chain)!;
}
