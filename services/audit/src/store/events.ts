import type { Queryable } from "@airlock/shared";

/** Filters of the audit log listing (GET /v1/audit/events, `airlock audit log`). */
export interface EventFilter {
  chain: string;
  subject?: string;
  type?: string;
  /** The event data's `agent_id`. */
  agent?: string;
  /** Recorded at or after this time. */
  since?: Date;
  /** Keyset pagination: entries after this seq. */
  afterSeq?: number;
  limit: number;
}

/** One entry as listed: the event parsed back from its canonical text, hashes in hex. */
export interface ListedEntry {
  chain: string;
  seq: number;
  event_id: string;
  type: string;
  subject: string | null;
  recorded_at: string;
  leaf_hash: string;
  prev_hash: string;
  hash: string;
  event: unknown;
}

interface Row {
  seq: number;
  event_id: string;
  type: string;
  subject: string | null;
  recorded_at: Date;
  leaf_hash: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
  event: string;
}

/**
 * Entries matching the filter, in seq order, at most `limit`. The agent filter reads the event's
 * `data.agent_id` (no index: it scans in seq order and stops at `limit` matches).
 */
export async function listEntries(q: Queryable, filter: EventFilter): Promise<ListedEntry[]> {
  const where = ["chain = $1", "seq > $2"];
  const params: unknown[] = [filter.chain, filter.afterSeq ?? -1];
  const add = (clause: (n: string) => string, value: unknown): void => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.subject !== undefined) add((p) => `subject = ${p}`, filter.subject);
  if (filter.type !== undefined) add((p) => `type = ${p}`, filter.type);
  if (filter.agent !== undefined) add((p) => `audit.agent_of(event) = ${p}`, filter.agent);
  if (filter.since !== undefined) add((p) => `recorded_at >= ${p}`, filter.since.toISOString());
  params.push(filter.limit);
  const { rows } = await q.query<Row>(
    `select seq, event_id, type, subject, recorded_at, leaf_hash, prev_hash, hash, event
     from audit.log where ${where.join(" and ")} order by seq limit $${params.length}`,
    params,
  );
  return rows.map((row) => ({
    chain: filter.chain,
    seq: Number(row.seq),
    event_id: row.event_id,
    type: row.type,
    subject: row.subject,
    recorded_at: new Date(row.recorded_at).toISOString(),
    leaf_hash: row.leaf_hash.toString("hex"),
    prev_hash: row.prev_hash.toString("hex"),
    hash: row.hash.toString("hex"),
    event: parseOrText(row.event),
  }));
}

// A stored event that is not JSON has been tampered with; list it as the text it is (verify names it).
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
