import { canonicalize, type AirlockEvent, type SqlClient } from "@airlock/shared";
import { ChainAppender, insertEntriesParams, insertEntriesSql, prepareEntry, type NewEntry } from "@airlock/audit";

/** Tables shaped like audit.log, with the same keys and indexes but no chain, lock or trigger: one per baseline. */
export const plainTwinSql = ["plain", "plain_statement", "plain_serialised", "plain_stringified"]
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
 * (canonical JSON, leaf hash) as it arrives, while the previous batch's append is in flight, and the
 * batches go through one ChainAppender (which remembers the head between batches, as the service's does).
 */
export async function appendChained(sql: SqlClient, events: readonly AirlockEvent[], batch: number): Promise<void> {
  const appender = new ChainAppender(sql);
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < events.length; i += batch) {
    const prepared = events.slice(i, i + batch).map((event) => prepareEntry(event));
    await inFlight;
    inFlight = appender.append(new Map([["main", prepared]]));
  }
  await inFlight;
}

/**
 * The same pipeline without the chain: serialise each event (`serialise`: canonical JSON, or the plain
 * JSON.stringify an ordinary event table would use) while the previous batch is INSERTed.
 */
export async function insertSerialised(
  sql: SqlClient,
  table: string,
  events: readonly AirlockEvent[],
  ready: readonly NewEntry[],
  batch: number,
  serialise: (event: AirlockEvent) => string = canonicalize,
): Promise<void> {
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < events.length; i += batch) {
    const rows = events.slice(i, i + batch).map((event, j) => ({ ...ready[i + j]!, text: serialise(event) }));
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

/** The same INSERT as one statement in its own transaction (no BEGIN/COMMIT round trips), as the chain's fast path. */
export async function insertPlainStatement(sql: SqlClient, table: string, rows: readonly NewEntry[]): Promise<void> {
  await sql.query(insertEntriesSql(table), insertEntriesParams("main", rows));
}
