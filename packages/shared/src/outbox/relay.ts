import { isRetriable } from "../errors.js";
import { createEvent } from "../events/index.js";
import { DEAD_LETTER_RAW_BYTES } from "../limits.js";
import type { Logger } from "../lifecycle/logger.js";
import { DEFAULT_BACKOFF, backoffDelay, delay } from "../lifecycle/backoff.js";
import type { Queryable, SqlClient } from "../sql/client.js";
import type { Transport } from "../transport/transport.js";
import { startDeleteQueue } from "./delete-queue.js";
import { claimBatchSql, deleteSql, type OutboxRow } from "./store.js";

/** A running outbox relay. */
export interface OutboxRelay {
  /**
   * Publish rows a transaction just committed, now, without a round through the database; delete them
   * once the broker confirmed. Call it after COMMIT, never before. Resolves at once — the caller need
   * not wait for the broker's confirm — unless more than MAX_UNCONFIRMED dispatches already wait for
   * it: then when these rows are published (or handed back to the relay's rounds), so a broker that is
   * not keeping up slows the callers down. Never rejects.
   */
  dispatch(rows: readonly OutboxRow[]): Promise<void>;
  /** How many dispatches are waiting for the broker: a caller that does not await each one bounds this. */
  dispatching(): number;
  /** Look at the whole outbox now (call after a transaction that enqueued events committed). */
  kick(): void;
  /** Publish what is in flight, then stop. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when the outbox was seen empty after this call (tests, graceful shutdown). */
  drained(): Promise<void>;
}

/** Options of {@link startOutboxRelay}. */
export interface OutboxRelayOptions {
  sql: SqlClient;
  transport: Transport;
  /** The service's schema, whose `outbox` table is relayed. */
  schema: string;
  logger: Logger;
  /** How often to look without a kick: picks up rows left by a crashed instance. */
  pollMs?: number;
  /**
   * A poll takes only rows older than this: for a service whose handlers `dispatch()`, younger rows are
   * most likely being published by the instance that wrote them, and taking them too would publish them
   * twice. Default 0 (a service that only kicks: every row is the relay's).
   */
  graceMs?: number;
  /** Rows per round. */
  batchSize?: number;
  /** Told after each published batch (metrics). */
  onPublished?: (rows: readonly OutboxRow[]) => void;
}

/**
 * The `graceMs` for a service whose handlers `dispatch()` what they commit: how long its rows are left to
 * the instance that wrote them before another instance's relay publishes them. Longer than a publish and
 * delete take on a loaded machine, short enough that the events of an instance that crashed mid-dispatch
 * still reach agents within a usual check timeout.
 */
export const DISPATCH_GRACE_MS = 10_000;

/** Dispatches that may wait for the broker's confirm before dispatch() makes its caller wait too. */
const MAX_UNCONFIRMED = 256;

/** See nextAgeMs in {@link startOutboxRelay}. */
const STARTUP_AGE_MS = 1000;

/**
 * Relays a service's outbox to the broker, each row published with broker confirmation, then deleted.
 *
 * Two ways out. The fast one: a handler hands what its transaction enqueued to `dispatch()` right after
 * COMMIT, which publishes it at once — a verdict costs the broker hop, not another database round — and
 * deletes the rows afterwards, in batches. The safety net: the relay's own rounds claim rows
 * `FOR UPDATE SKIP LOCKED` inside a transaction, oldest first — on a kick any row this process is not
 * dispatching, on a poll only rows older than `graceMs` (left by a crash, or by a publish that failed) —
 * so several instances share one outbox without taking each other's fresh rows. (On PGlite's single
 * connection, transactions simply queue.) Rows of one key are published in order within a batch; rows
 * published by different paths may interleave, which no consumer relies on (each event is a whole fact,
 * keyed by its id). A crash between publish and delete republishes the same event (same id) — consumers
 * dedupe by id.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, transport, schema } = options;
  const log = options.logger.child({ module: "outbox", schema });
  const pollMs = options.pollMs ?? 200;
  const graceMs = options.graceMs ?? 0;
  const batchSize = options.batchSize ?? 200;
  let stopping = false;
  // Set when stop() begins: no new dispatches, and deletes that fail are given up rather than retried.
  let closing = false;
  let wake: (() => void) | undefined;
  let pending = true;
  // How old a row must be for the next round to take it: 0 after a kick or for a drain (any row not in
  // flight here), graceMs on a poll, and at start a second — enough for this process's own leftovers
  // (a restart after a crash takes longer) and not another instance's rows of this very moment.
  let nextAgeMs = Math.min(graceMs, STARTUP_AGE_MS);
  const waiters: Array<() => void> = [];
  // Rows this process is dispatching itself, from before their publish until their delete: its own
  // rounds leave them alone.
  const inFlight = new Set<number>();
  const dispatching = new Set<Promise<void>>();
  const deletes = startDeleteQueue({
    sql,
    schema,
    logger: log,
    batchSize,
    onGone: (ids) => {
      for (const id of ids) inFlight.delete(id);
    },
    closing: () => closing,
  });

  /**
   * Publish one row. A row the broker will never take (a key too long for RabbitMQ, a topic name Kafka
   * refuses) is recorded as a dead letter with the broker's reason instead, so it cannot stop every row
   * behind it; a broker that is merely down throws, and the batch is tried again.
   */
  async function publishRow(row: OutboxRow): Promise<void> {
    try {
      await transport.publish(row.event, { topic: row.topic, key: row.key });
    } catch (error) {
      if (isRetriable(error)) throw error;
      const raw = JSON.stringify(row.event);
      const reason = `the broker refused the outbox row for ${row.topic}: ${(error as Error).message}`.slice(0, 4000);
      log.error(
        { err: error, event_id: row.event.id, topic: row.topic },
        "outbox row refused by the broker; dead-lettered",
      );
      await transport.publish(
        createEvent({
          type: "airlock.dead_letter",
          source: `airlock/outbox/${schema}`,
          data: {
            topic: row.topic,
            consumer: `outbox.${schema}`,
            reason,
            raw: Buffer.from(raw).subarray(0, DEAD_LETTER_RAW_BYTES).toString("utf8"),
            raw_bytes: Buffer.byteLength(raw),
          },
        }),
      );
    }
  }

  /**
   * Keys in parallel, each key's rows one after the other: a broker may confirm concurrent publishes
   * in any order (Kafka spreads them over partitions and requests), and one key's events must not pass
   * each other.
   */
  async function publishRows(rows: readonly OutboxRow[]): Promise<void> {
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const id = `${row.topic}\u0000${row.key}`;
      const ofKey = byKey.get(id);
      if (ofKey) ofKey.push(row);
      else byKey.set(id, [row]);
    }
    // Every key's publishes end before this does: a failure must not hand rows back to the rounds while
    // other keys' publishes of the same dispatch are still on their way (they would go out twice at once).
    const outcomes = await Promise.allSettled(
      [...byKey.values()].map(async (ofKey) => {
        for (const row of ofKey) await publishRow(row);
      }),
    );
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Tell `onPublished` (metrics); its failure is its own and must not undo a publish. */
  function published(rows: readonly OutboxRow[]): void {
    try {
      options.onPublished?.(rows);
    } catch (error) {
      log.error({ err: error }, "onPublished listener failed");
    }
  }

  function round(ageMs: number): Promise<number> {
    return sql.transaction(async (q: Queryable) => {
      const { rows } = await q.query<OutboxRow>(claimBatchSql(schema), [batchSize, [...inFlight], ageMs / 1000]);
      if (rows.length === 0) return 0;
      await publishRows(rows);
      await q.query(deleteSql(schema), [rows.map((row) => row.id)]);
      published(rows);
      return rows.length;
    });
  }

  async function dispatchNow(rows: readonly OutboxRow[]): Promise<void> {
    try {
      await publishRows(rows);
    } catch (error) {
      // The broker is away: the relay's rounds retry these rows with backoff.
      log.warn({ err: error, rows: rows.length }, "outbox dispatch failed; the relay will retry");
      for (const row of rows) inFlight.delete(row.id);
      kick();
      return;
    }
    published(rows);
    deletes.add(rows.map((row) => row.id));
  }

  function kick(): void {
    pending = true;
    nextAgeMs = 0;
    wake?.();
  }

  /** Every dispatch begun so far published (or handed back) and its rows deleted. */
  async function settled(): Promise<void> {
    while (dispatching.size > 0) await Promise.all([...dispatching]);
    await deletes.settled();
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping || pending) {
      pending = false;
      const ageMs: number = nextAgeMs;
      nextAgeMs = graceMs;
      // Only those waiting before this round started may be told it found the outbox empty.
      const told = waiters.splice(0);
      let published = 0;
      try {
        published = await round(told.length > 0 ? 0 : ageMs);
        failures = 0;
      } catch (error) {
        failures++;
        const wait = backoffDelay(failures, DEFAULT_BACKOFF);
        log.warn({ err: error, retryInMs: wait }, "outbox relay failed; retrying");
        if (stopping) break;
        waiters.unshift(...told);
        await delay(wait);
        pending = true;
        nextAgeMs = Math.min(nextAgeMs, ageMs);
        continue;
      }
      if (published === batchSize) {
        waiters.unshift(...told);
        pending = true;
        nextAgeMs = Math.min(nextAgeMs, ageMs);
        continue;
      }
      for (const resolve of told) resolve();
      if (stopping) break;
      // A kick during the round (a transaction that committed after its SELECT) means look again now,
      // not at the next poll: without this, such events waited up to pollMs (bench/e2e's p99).
      if (pending) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      pending = true;
    }
    for (const resolve of waiters.splice(0)) resolve();
  })();

  let stopped: Promise<void> | undefined;
  return {
    dispatch(rows) {
      if (rows.length === 0) return Promise.resolve();
      if (closing) {
        kick();
        return Promise.resolve();
      }
      for (const row of rows) inFlight.add(row.id);
      const done = dispatchNow(rows).finally(() => dispatching.delete(done));
      dispatching.add(done);
      return dispatching.size > MAX_UNCONFIRMED ? done : Promise.resolve();
    },
    dispatching: () => dispatching.size,
    kick,
    stop() {
      return (stopped ??= (async () => {
        closing = true;
        await settled();
        stopping = true;
        wake?.();
        await loop;
        log.debug("outbox relay stopped");
      })());
    },
    async drained() {
      await settled();
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        pending = true;
        wake?.();
      });
    },
  };
}
