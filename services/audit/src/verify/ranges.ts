import type { KeyObject } from "node:crypto";
import { MerkleFrontier, ZERO_HASH, sameHash, type Queryable, type SignedCheckpoint } from "@airlock/shared";
import { CheckpointStream, signatureStatus, type Claim } from "./checkpoint-claims.js";
import { checkpointProblem } from "../core/problem.js";
import type { RangeResult, RangeSnapshot } from "./range-check.js";
import { readHeadAndRecorded } from "../store/log.js";
import type { VerifyWorkers } from "./worker-pool.js";

/**
 * How far a chain has been verified: every entry before `frontier.size` checked out (`head` is the chain
 * hash after them), and so did every checkpoint up to that size — none at all while it is 0, not even
 * one of size 0.
 */
export interface VerifiedPrefix {
  head: Buffer;
  frontier: MerkleFrontier;
  /** The size of the last checkpoint that checked out, and how many did. */
  vouched: number;
  good: number;
}

/** Nothing verified yet. */
export function emptyPrefix(): VerifiedPrefix {
  return { head: ZERO_HASH, frontier: MerkleFrontier.empty(), vouched: 0, good: 0 };
}

/** Options of {@link verifyRanges}. */
export interface RangeOptions {
  keys: ReadonlyMap<string, KeyObject>;
  kept: SignedCheckpoint | undefined;
  pageSize: number;
  /** Entries per range: a power of two, so that every range's subtrees are subtrees of the log's tree. */
  rangeSize: number;
  /** Chains shorter than this are left to the serial verifier. */
  minEntries: number;
}

interface Dispatched {
  start: number;
  end: number;
  claims: Claim[];
  result: Promise<RangeResult>;
}

/**
 * Verify the chain as it stands now in ranges of `rangeSize` entries checked at once by the workers,
 * joined here in seq order: the link from each range into the next, and every checkpoint against the
 * root and head at its size (the prefix's frontier extended by the range's own). Returns the prefix that
 * checked out; it stops short at the first range with anything wrong in it, whose entries and
 * checkpoints the serial verifier then replays from the prefix — so a problem is named exactly as a
 * serial run names it. Memory: the ranges in flight (two per worker), whatever the log's length.
 */
export async function verifyRanges(
  sql: Queryable,
  chain: string,
  startWorkers: () => VerifyWorkers,
  options: RangeOptions,
): Promise<VerifiedPrefix> {
  let prefix = emptyPrefix();
  const total = (await readHeadAndRecorded(sql, chain, [])).head.nextSeq;
  if (total <= options.rangeSize || total < options.minEntries) return prefix;
  const workers = startWorkers();
  // Ranges are dispatched in order, so one stream hands each its checkpoints; the first range also
  // takes any of size 0 (an empty log's), checked against the start state known here.
  const checkpoints = new CheckpointStream(sql, chain, options.kept);
  const inFlight: Dispatched[] = [];
  let next = 0;
  const dispatch = async (): Promise<void> => {
    const start = next;
    const end = Math.min(start + options.rangeSize, total);
    next = end;
    const claims = await checkpoints.takeThrough(end);
    const sizes = [...new Set(claims.map((claim) => claim.tree_size).filter((size) => size > start))];
    const job = { chain, start, end, sizes, pageSize: Math.min(options.pageSize, options.rangeSize) };
    inFlight.push({ start, end, claims, result: workers.run(job) });
  };
  try {
    while (next < total && inFlight.length < 2 * workers.size) await dispatch();
    while (inFlight.length > 0) {
      const range = inFlight.shift()!;
      const joined = join(prefix, range, await range.result, options);
      if (!joined) break;
      prefix = joined;
      if (next < total) await dispatch();
    }
    return prefix;
  } finally {
    // Ranges past the first bad one: their answers change nothing.
    for (const range of inFlight) range.result.catch(() => undefined);
  }
}

// The prefix extended by one range, or undefined when anything in the range is wrong.
function join(
  prefix: VerifiedPrefix,
  range: Dispatched,
  result: RangeResult,
  options: RangeOptions,
): VerifiedPrefix | undefined {
  if (!result.ok || !sameHash(result.first_prev, prefix.head)) return undefined;
  const at = (size: number): { root: Buffer; head: Buffer } | undefined => {
    if (size === range.start) return { root: prefix.frontier.root(), head: prefix.head };
    const snapshot = result.snapshots.find((s) => s.size === size - range.start);
    return snapshot && { root: extend(prefix.frontier, snapshot).root(), head: Buffer.from(snapshot.head) };
  };
  let { vouched, good } = prefix;
  for (const claim of range.claims) {
    const computed = at(claim.tree_size);
    if (!computed || checkpointProblem(claim, computed, signatureStatus(claim, options.keys), vouched)) {
      return undefined;
    }
    vouched = claim.tree_size;
    good++;
  }
  return { head: Buffer.from(result.end.head), frontier: extend(prefix.frontier, result.end), vouched, good };
}

function extend(frontier: MerkleFrontier, snapshot: RangeSnapshot): MerkleFrontier {
  return frontier.extend(MerkleFrontier.fromBytes(snapshot.size, snapshot.frontier));
}
