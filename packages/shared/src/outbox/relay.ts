import { isRetriable } from "../errors.js";
import { createEvent } from "../events/index.js";
import { DEAD_LETTER_RAW_BYTES } from "../limits.js";
import type { Logger } from "../lifecycle/logger.js";
import { DEFAULT_BACKOFF, backoffDelay, delay } from "../lifecycle/backoff.js";
import type { Queryable, SqlClient } from "../sql/client.js";
import type { Transport } from "../transport/transport.js";
import { claimBatchSql, deleteSql, type OutboxRow } from "./store.js";

/** A running outbox relay. */
export interface OutboxRelay {
  /** Look at the outbox now (call after a transaction that enqueued events committed). */
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
  /** Rows per round. */
  batchSize?: number;
  /** Told after each published batch (metrics). */
  onPublished?: (rows: readonly OutboxRow[]) => void;
}

/**
 * Relays a service's outbox to the broker: oldest rows first, each published with broker confirmation,
 * then deleted. Rows are claimed `FOR UPDATE SKIP LOCKED` inside a transaction, so several instances relay
 * one outbox without publishing a row twice (on PGlite's single connection, transactions simply queue).
 * One relay keeps the outbox's order; rows that two instances claim in parallel may interleave, which
 * no consumer relies on (each event is a whole fact, keyed by its id).
 * A crash between publish and delete republishes the same event (same id) — consumers dedupe by id.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, transport, schema } = options;
  const log = options.logger.child({ module: "outbox", schema });
  const pollMs = options.pollMs ?? 200;
  const batchSize = options.batchSize ?? 200;
  let stopping = false;
  let wake: (() => void) | undefined;
  let pending = true;
  const waiters: Array<() => void> = [];

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

  async function publishBatch(q: Queryable): Promise<number> {
    const { rows } = await q.query<OutboxRow>(claimBatchSql(schema), [batchSize]);
    if (rows.length === 0) return 0;
    // Keys in parallel, each key's rows one after the other: a broker may confirm concurrent publishes
    // in any order (Kafka spreads them over partitions and requests), and one key's events must not pass
    // each other.
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const id = `${row.topic}\u0000${row.key}`;
      const ofKey = byKey.get(id);
      if (ofKey) ofKey.push(row);
      else byKey.set(id, [row]);
    }
    await Promise.all(
      [...byKey.values()].map(async (ofKey) => {
        for (const row of ofKey) await publishRow(row);
      }),
    );
    await q.query(deleteSql(schema), [rows.map((row) => row.id)]);
    options.onPublished?.(rows);
    return rows.length;
  }

  function round(): Promise<number> {
    return sql.transaction(publishBatch);
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping || pending) {
      pending = false;
      // Only those waiting before this round started may be told it found the outbox empty.
      const told = waiters.splice(0);
      let published = 0;
      try {
        published = await round();
        failures = 0;
      } catch (error) {
        failures++;
        const wait = backoffDelay(failures, DEFAULT_BACKOFF);
        log.warn({ err: error, retryInMs: wait }, "outbox relay failed; retrying");
        if (stopping) break;
        waiters.unshift(...told);
        await delay(wait);
        pending = true;
        continue;
      }
      if (published === batchSize) {
        waiters.unshift(...told);
        pending = true;
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
    kick() {
      pending = true;
      wake?.();
    },
    stop() {
      return (stopped ??= (async () => {
        stopping = true;
        wake?.();
        await loop;
        log.debug("outbox relay stopped");
      })());
    },
    drained() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        pending = true;
        wake?.();
      });
    },
  };
}
