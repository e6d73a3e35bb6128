import type { Queryable } from "@airlock/shared/verifier";
import { ChainVerifier, type StoredEntry } from "../core/chain-verifier.js";
import { readEntries } from "../store/log.js";

/** One range of a chain for a worker to check: the entries with `start <= seq < end`. */
export interface RangeJob {
  chain: string;
  start: number;
  end: number;
  /** Tree sizes in `(start, end]` at which checkpoints were signed: the range's state is kept at each. */
  sizes: number[];
  /** Entries per query. */
  pageSize: number;
}

/** The state of a range after its entries up to `size`, counted from the range's start. */
export interface RangeSnapshot {
  size: number;
  /** The Merkle frontier of the range's own entries before `size` (MerkleFrontier.toBytes). */
  frontier: Uint8Array;
  /** The chain hash of the entry before `size`. */
  head: Uint8Array;
}

/**
 * A range that checked out on its own: every entry where its seq says, canonical, agreeing with its
 * columns and hashes, each linked to the one before. The link into the range (`first_prev`) is the one
 * thing left for whoever holds the ranges before it.
 */
export interface CheckedRange {
  ok: true;
  first_prev: Uint8Array;
  /** At `end`, and at each of the job's `sizes` (`end` among them when asked). */
  end: RangeSnapshot;
  snapshots: RangeSnapshot[];
}

/** `ok: false`: something in the range is wrong; the serial verifier finds and names it. */
export type RangeResult = CheckedRange | { ok: false };

/**
 * Check one range of a chain as {@link ChainVerifier} checks a whole one, starting from the range's own
 * first entry: the range's Merkle frontier is its own (relative to `start`), and the first entry's
 * `prev_hash` is taken as given and returned for the caller to check against the range before. Stops
 * at the first fault without saying what it is: the caller re-verifies the range serially, which
 * classifies the problem exactly as a serial run would.
 */
export async function checkRange(sql: Queryable, job: RangeJob): Promise<RangeResult> {
  const read = (after: number): Promise<StoredEntry[]> =>
    readEntries(sql, job.chain, after, Math.min(job.pageSize, job.end - 1 - after));
  let verifier: ChainVerifier | undefined;
  let firstPrev: Buffer | undefined;
  const snapshots: RangeSnapshot[] = [];
  let wanted = 0;
  let ahead: Promise<StoredEntry[]> | undefined = read(job.start - 1);
  try {
    while (ahead) {
      const page: StoredEntry[] = await ahead;
      const last: StoredEntry | undefined = page.at(-1);
      if (!last) return { ok: false };
      // Read the next page while this one is hashed.
      ahead = last.seq < job.end - 1 ? read(last.seq) : undefined;
      for (const entry of page) {
        verifier ??= new ChainVerifier({ seq: job.start, head: (firstPrev = entry.prev_hash) });
        if (verifier.check(entry)) return { ok: false };
        verifier.accept(entry);
        while (job.sizes[wanted] === verifier.size) {
          snapshots.push(snapshot(verifier, job.start));
          wanted++;
        }
      }
    }
    if (!verifier || !firstPrev || verifier.size !== job.end) return { ok: false };
    return { ok: true, first_prev: firstPrev, end: snapshot(verifier, job.start), snapshots };
  } finally {
    // A read-ahead still running when a fault ends the range: its answer no longer matters.
    await ahead?.catch(() => undefined);
  }
}

function snapshot(verifier: ChainVerifier, start: number): RangeSnapshot {
  return { size: verifier.size - start, frontier: verifier.frontier.toBytes(), head: verifier.head };
}
