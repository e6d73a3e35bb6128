import { canonicalize, type AirlockEvent, type SqlClient } from "@airlock/shared";
import { appendEntries, insertEntriesParams, insertEntriesSql, prepareEntry, type NewEntry } from "@airlock/audit";

/** Two tables shaped like audit.log, with the same keys and indexes but no chain, lock or trigger. */
export const plainTwinSql = ["plain", "plain_serialised"]
  .map(
    (name) => `
  create table audit.${name} (like audit.log including defaults including constraints);
  alter table audit.${name} add primary key (chain, seq);
  create unique index ${name}_event_id on audit.${name} (event_id);
  create index ${name}_subject on audit.${name} (subject, chain, seq);`,
  )
  .join("\n");

/**
 * Append through the hash chain in batches, as the service's batcher does: each event is made ready
 * (canonical JSON, leaf hash) as it arrives, while the previous batch's transaction is in flight.
 */
export async function appendChained(sql: SqlClient, events: readonly AirlockEvent[], batch: number): Promise<void> {
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < events.length; i += batch) {
    const prepared = events.slice(i, i + batch).map((event) => prepareEntry(event));
    await inFlight;
    inFlight = appendEntries(sql, new Map([["main", prepared]]));
  }
  await inFlight;
}

/** The same pipeline without the chain: serialise each event while the previous batch is INSERTed. */
export async function insertSerialised(
  sql: SqlClient,
  table: string,
  events: readonly AirlockEvent[],
  ready: readonly NewEntry[],
  batch: number,
): Promise<void> {
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < events.length; i += batch) {
    const rows = events.slice(i, i + batch).map((event, j) => ({ ...ready[i + j]!, text: canonicalize(event) }));
    await inFlight;
    inFlight = insertPlain(sql, table, rows);
  }
  await inFlight;
}

/** INSERT ready-made rows into the plain twin, one transaction per batch, with the log's own statement. */
export async function insertPlain(sql: SqlClient, table: string, rows: readonly NewEntry[]): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(insertEntriesSql(table), insertEntriesParams("main", rows));
  });
}
