import { PG_ERROR, sqlState, type SqlClient } from "@airlock/shared";
import { linkEntries, type ChainHead, type PreparedEntry } from "./core/entry.js";
import { appendEntries, type ChainAppend } from "./store/append.js";
import { insertEntriesIfHead } from "./store/log.js";

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
    const linked = linkEntries(head, entries, new Map());
    try {
      if (!(await insertEntriesIfHead(this.#sql, chain, linked.rows, head))) return undefined;
    } catch (error) {
      // An id recorded already, or another writer committed while the statement waited for the lock
      // (see insertEntriesIfHead): nothing was inserted.
      if (sqlState(error) === PG_ERROR.uniqueViolation) return undefined;
      throw error;
    }
    this.#heads.set(chain, linked.head);
    const result = {
      appended: linked.rows.length,
      duplicates: entries.length - linked.rows.length - linked.conflicts.size,
      conflicts: linked.conflicts,
      head: linked.head,
    };
    return new Map([[chain, result]]);
  }
}
