import type { Logger } from "../lifecycle/logger.js";
import { DEFAULT_BACKOFF, backoffDelay, delay } from "../lifecycle/backoff.js";
import type { SqlClient } from "../sql/client.js";
import { deleteSql } from "./store.js";

/**
 * How long a dispatched row's DELETE waits for company: one statement per 25 ms at most instead of one
 * per dispatch, on the database every decision commits to. The row stays in the relay's in-flight set
 * meanwhile, and other instances leave it alone for their graceMs.
 */
const DELETE_DELAY_MS = 25;

/** Options of {@link startDeleteQueue}. */
export interface DeleteQueueOptions {
  sql: SqlClient;
  /** The service's schema, whose `outbox` rows are deleted. */
  schema: string;
  logger: Logger;
  /** A queue this long is deleted at once, without waiting for company. */
  batchSize: number;
  /** Told of ids that are deleted — or given up on while closing — so the relay may forget them. */
  onGone: (ids: readonly number[]) => void;
  /** True once the relay is stopping: delete at once, and give up on a failing DELETE rather than retry. */
  closing: () => boolean;
}

/** Deletes of published outbox rows. */
export interface DeleteQueue {
  add(ids: readonly number[]): void;
  /** Resolves when every id added so far is deleted (or given up on). */
  settled(): Promise<void>;
}

/**
 * Deletes of dispatched rows, batched: the first waits up to DELETE_DELAY_MS for company, and whatever
 * was published while one DELETE ran goes in the next. A database that is down delays them (the rows
 * stay in flight, so the relay does not publish them again); a process that dies first leaves them to be
 * published once more by a poll — same ids.
 */
export function startDeleteQueue(options: DeleteQueueOptions): DeleteQueue {
  const { sql, schema, logger: log } = options;
  const queued: number[] = [];
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const start = (): void => {
    clearTimeout(timer);
    timer = undefined;
    running ??= run().finally(() => {
      running = undefined;
    });
  };
  const run = async (): Promise<void> => {
    let failures = 0;
    while (queued.length > 0) {
      const ids = queued.splice(0);
      try {
        await sql.query(deleteSql(schema), [ids]);
        failures = 0;
        options.onGone(ids);
      } catch (error) {
        if (options.closing()) {
          log.warn(
            { err: error, rows: ids.length },
            "outbox rows published but not deleted; they may be published again",
          );
          options.onGone([...ids, ...queued.splice(0)]);
          return;
        }
        queued.unshift(...ids);
        failures++;
        await delay(backoffDelay(failures, DEFAULT_BACKOFF));
      }
    }
  };
  return {
    add(ids) {
      queued.push(...ids);
      if (running) return; // its loop takes these next
      if (options.closing() || queued.length >= options.batchSize) start();
      else timer ??= setTimeout(start, DELETE_DELAY_MS);
    },
    async settled() {
      if (timer) start();
      while (running) await running;
    },
  };
}
