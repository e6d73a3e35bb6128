import { ZERO_HASH, type Queryable } from "@airlock/shared/verifier";
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
 * The chain's head and which of `ids` are already recorded (in any chain), with their leaf hashes, in
 * one round trip: the two reads every append makes under its lock.
 */
export async function readHeadAndRecorded(
  q: Queryable,
  chain: string,
  ids: readonly string[],
): Promise<{ head: ChainHead; recorded: Map<string, Buffer> }> {
  const { rows } = await q.query<{ seq: number | null; hash: Buffer | null; ids: string[]; leaves: string[] }>(
    `select h.seq, h.hash,
            array(select event_id from audit.log where event_id = any($2::text[]) order by event_id) as ids,
            array(select encode(leaf_hash, 'hex') from audit.log where event_id = any($2::text[]) order by event_id) as leaves
     from (select 1) as one
     left join lateral (select seq, hash from audit.log where chain = $1 order by seq desc limit 1) as h on true`,
    [chain, ids],
  );
  const row = rows[0]!;
  const head =
    row.seq === null || row.hash === null
      ? { nextSeq: 0, hash: ZERO_HASH }
      : { nextSeq: Number(row.seq) + 1, hash: row.hash };
  const recorded = new Map(row.ids.map((id, i) => [id, Buffer.from(row.leaves[i]!, "hex")] as const));
  return { head, recorded };
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

/**
 * Insert linked entries in ONE statement — its own transaction — only if the chain's head is still
 * `expected` (the head the rows were linked onto). Returns whether it inserted them (all) or not (none:
 * the caller appends the locked way). An event id recorded already is not looked for: the unique
 * event_id index refuses it and the statement fails with a unique violation, inserting nothing — the
 * index probes every id anyway, and a second probe per id cost ~0.5 ms a batch for what only a
 * redelivery needs.
 *
 * The statement takes the chain's advisory lock before it can write a row (an InitPlan of its filter),
 * so it never overlaps a locked append; but its snapshot predates the lock, so a writer that committed
 * while it waited is invisible to the head check. The primary key (chain, seq) still sees that writer's
 * rows: the statement then fails with a unique violation too. A chain is never forked, and an event
 * never recorded twice.
 */
export async function insertEntriesIfHead(
  q: Queryable,
  chain: string,
  rows: readonly NewEntry[],
  expected: ChainHead,
): Promise<boolean> {
  if (rows.length === 0 || expected.nextSeq === 0) return false;
  const { rowCount } = await q.query(
    `${insertEntriesSql("audit.log")}
    where (select true from pg_advisory_xact_lock($12, hashtext($1)))
      and (select seq = $10 and hash = decode($11, 'hex') from audit.log where chain = $1 order by seq desc limit 1)`,
    [...insertEntriesParams(chain, rows), expected.nextSeq - 1, expected.hash.toString("hex"), CHAIN_LOCK],
  );
  return rowCount === rows.length;
}

const ENTRY_COLUMNS = "seq, event_id, type, subject, event, leaf_hash, prev_hash, hash";

// What the verifier reads per entry. The three hashes travel as one bytea (one hex decode instead of
// three: the row parsing is most of the verifier's database cost), NULL when a column is not 32 bytes —
// a superuser can drop the CHECK constraints, and a concatenation would hide shifted boundaries.
const PAGE_COLUMNS = `seq, event_id, type, subject, event,
  case when octet_length(leaf_hash) = 32 and octet_length(prev_hash) = 32 and octet_length(hash) = 32
    then leaf_hash || prev_hash || hash end as hashes`;

interface PageRow {
  seq: number;
  event_id: string;
  type: string;
  subject: string | null;
  event: string;
  hashes: Buffer | null;
}

/**
 * Up to `limit` rows after `afterSeq`, in seq order, asked first as the seq range
 * `(afterSeq, afterSeq + limit]`. Postgres answers a range with an index range scan whatever its
 * statistics say; `seq > $2 order by seq limit $3` on a freshly filled log (no statistics yet) was
 * planned as a bitmap scan of the rest of the chain plus a sort, for every page. Seqs are unique in a
 * chain, so a full range IS the next `limit` rows; a short one (the log's end, or a gap) is completed by
 * an ordinary keyset query past the range.
 */
async function seqPage<R extends { seq: number }>(
  q: Queryable,
  select: string,
  chain: string,
  afterSeq: number,
  limit: number,
): Promise<R[]> {
  const { rows } = await q.query<R>(`${select} where chain = $1 and seq > $2 and seq <= $3 order by seq`, [
    chain,
    afterSeq,
    afterSeq + limit,
  ]);
  for (const row of rows) row.seq = Number(row.seq);
  if (rows.length >= limit) return rows;
  const rest = await q.query<R>(`${select} where chain = $1 and seq > $2 order by seq limit $3`, [
    chain,
    afterSeq + limit,
    limit - rows.length,
  ]);
  for (const row of rest.rows) {
    row.seq = Number(row.seq);
    rows.push(row);
  }
  return rows;
}

/** Up to `limit` entries after `afterSeq` (-1: from the start), in seq order: a seq-range page (see seqPage). */
export async function readEntries(
  q: Queryable,
  chain: string,
  afterSeq: number,
  limit: number,
): Promise<StoredEntry[]> {
  const rows = await seqPage<PageRow>(q, `select ${PAGE_COLUMNS} from audit.log`, chain, afterSeq, limit);
  const entries: StoredEntry[] = new Array<StoredEntry>(rows.length);
  let malformed: number[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const { seq, event_id, type, subject, event, hashes } = rows[i]!;
    if (hashes === null) (malformed ??= []).push(i);
    const bytes = hashes ?? NO_HASHES;
    entries[i] = {
      seq,
      event_id,
      type,
      subject,
      event,
      leaf_hash: bytes.subarray(0, 32),
      prev_hash: bytes.subarray(32, 64),
      hash: bytes.subarray(64, 96),
    };
  }
  // Hashes that are not 32 bytes each: read those rows' columns as they are, for the verifier to judge.
  for (const i of malformed ?? []) {
    const whole = await readEntry(q, chain, entries[i]!.seq);
    if (whole) entries[i] = whole;
  }
  return entries;
}

const NO_HASHES = Buffer.alloc(0);

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
  return seqPage<LinkRow>(q, "select seq, leaf_hash, prev_hash, hash from audit.log", chain, afterSeq, limit);
}

function normalise(row: StoredEntry): StoredEntry {
  row.seq = Number(row.seq);
  return row;
}
