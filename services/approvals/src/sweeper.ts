import type { AirlockMetrics, Logger, OutboxRow, SqlClient } from "@airlock/shared";
import { expire } from "./core/index.js";
import type { Effects, Resolved } from "./handlers/index.js";
import { commitResolution } from "./handlers/resolution.js";
import { claimExpired, countPending, toSnapshot, votesOf } from "./store/index.js";

/** Options of {@link startSweeper}. */
export interface SweeperOptions {
  sql: SqlClient;
  logger: Logger;
  metrics: AirlockMetrics;
  now: () => Date;
  /** How often to look for expired requests. */
  intervalMs: number;
  /** Told after each committed batch that resolved requests (dispatch its outbox rows, record latencies). */
  onCommitted: (effects: Effects) => Promise<void>;
}

/** A running sweeper. */
export interface Sweeper {
  /** Sweep now (tests, and after start). Resolves when the round is done. */
  sweep(): Promise<number>;
  /** Finish the round in progress and stop. Idempotent. */
  stop(): Promise<void>;
}

/** Expired requests resolved per transaction: short row locks, and a backlog drains batch by batch. */
const BATCH = 100;

/**
 * Resolve pending requests past `expires_at` to their `on_timeout` action. Each batch is claimed
 * `FOR UPDATE SKIP LOCKED`, so several instances sweep side by side without waiting for one another
 * or resolving a request twice, and a vote holding a row's lock is never blocked behind the sweeper.
 * Each round also refreshes the approvals_open gauge from the database, the one count all instances agree on.
 */
export function startSweeper(options: SweeperOptions): Sweeper {
  const log = options.logger.child({ module: "sweeper" });
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;

  async function batch(): Promise<number> {
    // Collected inside the callback, so a retried transaction starts from nothing.
    const { count, resolved, outbox } = await options.sql.transaction(async (tx) => {
      const resolved: Resolved[] = [];
      const outbox: OutboxRow[] = [];
      const now = options.now();
      const rows = await claimExpired(tx, now, BATCH);
      for (const row of rows) {
        const resolution = expire(toSnapshot(row, await votesOf(tx, row.id)), now.getTime());
        if (!resolution) continue;
        const committed = await commitResolution(tx, row, resolution, now);
        resolved.push(committed.resolved);
        outbox.push(...committed.outbox);
        log.info(
          { subject: row.call_id, request_id: row.id, on_timeout: row.requirement.on_timeout },
          "approval request expired",
        );
      }
      return { count: rows.length, resolved, outbox };
    });
    if (resolved.length > 0) await options.onCommitted({ outbox, resolved });
    return count;
  }

  async function round(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await batch();
      total += count;
      if (count < BATCH) break;
    }
    options.metrics.approvalsOpen.set(await countPending(options.sql));
    return total;
  }

  function sweep(): Promise<number> {
    // One round at a time per instance; a sweep asked for during a round joins it.
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(delayMs = options.intervalMs): void {
    if (stopped) return;
    timer = setTimeout(() => {
      sweep().then(
        () => schedule(),
        (error: unknown) => {
          log.warn({ err: error }, "sweep failed; trying again at the next interval");
          schedule();
        },
      );
    }, delayMs);
  }

  // The first round at once: requests that expired while no instance was running are resolved on start.
  schedule(0);
  return {
    sweep,
    stop() {
      return (stopped ??= (async () => {
        clearTimeout(timer);
        await running?.catch((error: unknown) => log.debug({ err: error }, "last sweep failed while stopping"));
      })());
    },
  };
}
