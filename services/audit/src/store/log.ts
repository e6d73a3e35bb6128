import { ZERO_HASH, type Queryable } from "@airlock/shared";
import type { StoredEntry } from "../core/chain-verifier.js";
import type { ChainHead, NewEntry } from "../core/entry.js";

// The only code that knows audit.log. Hashes travel to Postgres as hex text (decoded in SQL), which
// both pg and PGlite pass through arrays unchanged; they come back as bytea → Buffer.

/** Advisory lock class of "one writer per chain" ("AUDT"); the object id is hashtext(chain). */
const CHAIN_LOCK = 0x41554454;

/** Take the chain's append lock until the transaction ends: two audit instances never fork a chain. */
export async function lockChain(tx: Queryable, chain: string): Promise<void> {
  await tx.query("select pg_advisory_xact_lock($1, hashtext($2))", [CHAIN_LOCK, chain]);
}

/**
 * The chain's head and which of `ids` are already recorded (in any chain), in one round trip: the two
 * reads every append makes under its lock.
 */
export async function readHeadAndRecorded(
  q: Queryable,
  chain: string,
  ids: readonly string[],
): Promise<{ head: ChainHead; recorded: string[] }> {
  const { rows } = await q.query<{ seq: number | null; hash: Buffer | null; recorded: string[] }>(
    `select h.seq, h.hash, array(select event_id from audit.log where event_id = any($2::text[])) as recorded
     from (select 1) as one
     left join lateral (select seq, hash from audit.log where chain = $1 order by seq desc limit 1) as h on true`,
    [chain, ids],
  );
  const row = rows[0]!;
  const head =
    row.seq === null || row.hash === null
      ? { nextSeq: 0, hash: ZERO_HASH }
      : { nextSeq: Number(row.seq) + 1, hash: row.hash };
  return { head, recorded: row.recorded };
}

/** Note a chain's existence (its first append), so checkpointing and verification find it. */
export async function registerChain(q: Queryable, chain: string): Promise<void> {
  await q.query("insert into audit.chains (name) values ($1) on conflict do nothing", [chain]);
}

/** Every chain, by name. */
export async function listChains(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>("select name from audit.chains order by name");
  return rows.map((row) => row.name);
}

/** The multi-row INSERT of linked entries into `table` (audit.log; the benchmark's plain twin). */
export function insertEntriesSql(table: string): string {
  return `insert into ${table} (chain, seq, event_id, type, subject, event, leaf_hash, prev_hash, hash)
    select $1, u.seq, u.event_id, u.type, u.subject, u.event, decode(u.leaf, 'hex'), decode(u.prev, 'hex'), decode(u.hash, 'hex')
    from unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
      as u(seq, event_id, type, subject, event, leaf, prev, hash)`;
}

/** The parameters of {@link insertEntriesSql} for these rows. */
export function insertEntriesParams(chain: string, rows: readonly NewEntry[]): unknown[] {
  return [
    chain,
    rows.map((r) => r.seq),
    rows.map((r) => r.event_id),
    rows.map((r) => r.type),
    rows.map((r) => r.subject),
    rows.map((r) => r.text),
    rows.map((r) => r.leaf_hash.toString("hex")),
    rows.map((r) => r.prev_hash.toString("hex")),
    rows.map((r) => r.hash.toString("hex")),
  ];
}

/** Insert linked entries (one statement). */
export async function insertEntries(q: Queryable, chain: string, rows: readonly NewEntry[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(insertEntriesSql("audit.log"), insertEntriesParams(chain, rows));
}

const ENTRY_COLUMNS = "seq, event_id, type, subject, event, leaf_hash, prev_hash, hash";

/** Up to `limit` entries after `afterSeq` (-1: from the start), in seq order: keyset pagination. */
export async function readEntries(
  q: Queryable,
  chain: string,
  afterSeq: number,
  limit: number,
): Promise<StoredEntry[]> {
  const { rows } = await q.query<StoredEntry>(
    `select ${ENTRY_COLUMNS} from audit.log where chain = $1 and seq > $2 order by seq limit $3`,
    [chain, afterSeq, limit],
  );
  return rows.map(normalise);
}

/** One entry by seq. */
export async function readEntry(q: Queryable, chain: string, seq: number): Promise<StoredEntry | undefined> {
  const { rows } = await q.query<StoredEntry>(`select ${ENTRY_COLUMNS} from audit.log where chain = $1 and seq = $2`, [
    chain,
    seq,
  ]);
  return rows[0] && normalise(rows[0]);
}

/**
 * The seq of the entry whose chain hash is `hash`, or null. No index on hash: the verifier asks this
 * once, about the first faulty entry, to tell a deletion from a reordering.
 */
export async function seqOfHash(q: Queryable, chain: string, hash: Buffer): Promise<number | null> {
  const { rows } = await q.query<{ seq: number }>(
    "select seq from audit.log where chain = $1 and hash = decode($2, 'hex') order by seq limit 1",
    [chain, hash.toString("hex")],
  );
  return rows[0] ? Number(rows[0].seq) : null;
}

/** Leaf hashes of seq `[start, end)`, in order (fewer when the log is shorter). */
export async function readLeafHashes(q: Queryable, chain: string, start: number, end: number): Promise<Buffer[]> {
  const { rows } = await q.query<{ leaf_hash: Buffer }>(
    "select leaf_hash from audit.log where chain = $1 and seq >= $2 and seq < $3 order by seq",
    [chain, start, end],
  );
  return rows.map((row) => row.leaf_hash);
}

/** What the checkpointer reads: seq and the three hashes, after `afterSeq`. */
export interface LinkRow {
  seq: number;
  leaf_hash: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
}

/** Up to `limit` link rows after `afterSeq`. */
export async function readLinks(q: Queryable, chain: string, afterSeq: number, limit: number): Promise<LinkRow[]> {
  const { rows } = await q.query<LinkRow>(
    "select seq, leaf_hash, prev_hash, hash from audit.log where chain = $1 and seq > $2 order by seq limit $3",
    [chain, afterSeq, limit],
  );
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

function normalise(row: StoredEntry): StoredEntry {
  row.seq = Number(row.seq);
  return row;
}
