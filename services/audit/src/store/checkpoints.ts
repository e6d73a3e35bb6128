import type { CompletedNode, Queryable, SignedCheckpoint } from "@airlock/shared";

// The only code that knows audit.checkpoints, audit.subtrees and audit.keys.

/** A stored checkpoint: the signed fields, plus the frontier the next checkpoint starts from. */
export interface StoredCheckpoint extends SignedCheckpoint {
  frontier: Buffer;
}

interface CheckpointRow {
  chain: string;
  tree_size: number;
  root_hash: Buffer;
  head_hash: Buffer;
  signed_at: string;
  key_id: string;
  signature: string;
  frontier: Buffer;
}

const COLUMNS = "chain, tree_size, root_hash, head_hash, signed_at, key_id, signature, frontier";

function fromRow(row: CheckpointRow): StoredCheckpoint {
  return {
    chain: row.chain,
    tree_size: Number(row.tree_size),
    root_hash: row.root_hash.toString("hex"),
    head_hash: row.head_hash.toString("hex"),
    signed_at: row.signed_at,
    key_id: row.key_id,
    signature: row.signature,
    frontier: row.frontier,
  };
}

/** The signed fields only: what is served, published and verified. */
export function signedPart(checkpoint: StoredCheckpoint): SignedCheckpoint {
  const { frontier: _frontier, ...signed } = checkpoint;
  return signed;
}

/** Advisory lock class of "one checkpointer per chain" ("AUDC"). Appends are not blocked by it. */
const CHECKPOINT_LOCK = 0x41554443;

/** Take the chain's checkpoint lock until the transaction ends. */
export async function lockCheckpoints(tx: Queryable, chain: string): Promise<void> {
  await tx.query("select pg_advisory_xact_lock($1, hashtext($2))", [CHECKPOINT_LOCK, chain]);
}

/** Store a checkpoint. */
export async function insertCheckpoint(q: Queryable, checkpoint: StoredCheckpoint): Promise<void> {
  await q.query(
    `insert into audit.checkpoints (${COLUMNS})
     values ($1, $2, decode($3, 'hex'), decode($4, 'hex'), $5, $6, $7, decode($8, 'hex'))`,
    [
      checkpoint.chain,
      checkpoint.tree_size,
      checkpoint.root_hash,
      checkpoint.head_hash,
      checkpoint.signed_at,
      checkpoint.key_id,
      checkpoint.signature,
      checkpoint.frontier.toString("hex"),
    ],
  );
}

/** The chain's latest checkpoint. */
export async function latestCheckpoint(q: Queryable, chain: string): Promise<StoredCheckpoint | undefined> {
  const { rows } = await q.query<CheckpointRow>(
    `select ${COLUMNS} from audit.checkpoints where chain = $1 order by tree_size desc limit 1`,
    [chain],
  );
  return rows[0] && fromRow(rows[0]);
}

/** The checkpoint at exactly `treeSize`. */
export async function checkpointAt(
  q: Queryable,
  chain: string,
  treeSize: number,
): Promise<StoredCheckpoint | undefined> {
  const { rows } = await q.query<CheckpointRow>(
    `select ${COLUMNS} from audit.checkpoints where chain = $1 and tree_size = $2`,
    [chain, treeSize],
  );
  return rows[0] && fromRow(rows[0]);
}

/** Up to `limit` checkpoints with tree_size above `afterSize`, smallest first (keyset pagination). */
export async function listCheckpoints(
  q: Queryable,
  chain: string,
  afterSize: number,
  limit: number,
): Promise<StoredCheckpoint[]> {
  const { rows } = await q.query<CheckpointRow>(
    `select ${COLUMNS} from audit.checkpoints where chain = $1 and tree_size > $2 order by tree_size limit $3`,
    [chain, afterSize, limit],
  );
  return rows.map(fromRow);
}

/** Cache subtree roots completed while a checkpoint was computed (already-known ones are kept). */
export async function insertSubtrees(q: Queryable, chain: string, nodes: readonly CompletedNode[]): Promise<void> {
  if (nodes.length === 0) return;
  await q.query(
    `insert into audit.subtrees (chain, level, idx, hash)
     select $1, u.level, u.idx, decode(u.hash, 'hex') from unnest($2::smallint[], $3::bigint[], $4::text[]) as u(level, idx, hash)
     on conflict do nothing`,
    [chain, nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash.toString("hex"))],
  );
}

/** Cached subtree roots, keyed `level:idx`. */
export async function readSubtrees(
  q: Queryable,
  chain: string,
  wanted: ReadonlyArray<{ level: number; index: number }>,
): Promise<Map<string, Buffer>> {
  if (wanted.length === 0) return new Map();
  const { rows } = await q.query<{ level: number; idx: number; hash: Buffer }>(
    `select s.level, s.idx, s.hash from audit.subtrees s
     join unnest($2::smallint[], $3::bigint[]) as w(level, idx) on s.level = w.level and s.idx = w.idx
     where s.chain = $1`,
    [chain, wanted.map((w) => w.level), wanted.map((w) => w.index)],
  );
  return new Map(rows.map((row) => [`${row.level}:${Number(row.idx)}`, row.hash]));
}

/** A signing key as the audit service publishes it. */
export interface AuditKeyRow {
  key_id: string;
  public_key: string;
}

/** Record a public key that signs checkpoints (idempotent). */
export async function registerKey(q: Queryable, key: AuditKeyRow): Promise<void> {
  await q.query("insert into audit.keys (key_id, public_key) values ($1, $2) on conflict do nothing", [
    key.key_id,
    key.public_key,
  ]);
}

/** Every public key that has signed checkpoints. */
export async function listKeys(q: Queryable): Promise<AuditKeyRow[]> {
  const { rows } = await q.query<AuditKeyRow>("select key_id, public_key from audit.keys order by created_at, key_id");
  return rows;
}
