import pg from "pg";
import { sha256Hex } from "../digest.js";
import { UnavailableError } from "../errors.js";
import { backoffDelay, delay } from "../lifecycle/backoff.js";
import type { Logger } from "../lifecycle/logger.js";
import type { Isolation, Queryable, QueryResult, SqlClient } from "./client.js";
import { PG_ERROR, sqlState } from "./errors.js";

/** Attempts of a transaction that lost a serialisation race or a deadlock, the first included. */
const TRANSACTION_ATTEMPTS = 5;

// int8 (count(*), bigserial) as a JS number, as PGlite returns it: Airlock's sequences stay far below 2^53.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

/** Options of {@link PgClient}. */
export interface PgClientOptions {
  logger: Logger;
  /** Connections in the pool. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Names of prepared statements, by their text. */
const statementNames = new Map<string, string>();
/** Past this many texts, new ones run unprepared: a guard against a caller that builds texts from values. */
const MAX_PREPARED = 500;

/**
 * A parameterised statement as a named prepared statement: each connection parses and plans a text
 * once and then only binds and executes it, which saves a large part of a small statement's time (a
 * policy decision: ~0.8 → ~0.55 ms). Every text Airlock sends is one of a fixed set (values always go in
 * parameters), so the set of names stays small. The name is derived from the text, so one name never
 * stands for two texts.
 */
function statement(text: string, params: readonly unknown[] | undefined): pg.QueryConfig {
  if (params === undefined) return { text };
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= MAX_PREPARED) return { text, values: params as unknown[] };
    name = `airlock_${sha256Hex(text).slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: params as unknown[] };
}

/** {@link SqlClient} over a `pg` pool against a Postgres server. */
export class PgClient implements SqlClient {
  readonly kind = "pg";
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: PgClientOptions) {
    this.#log = options.logger.child({ module: "pg" });
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      application_name: options.applicationName ?? "airlock",
      connectionTimeoutMillis: 10_000,
      types,
    });
    // An idle client losing its server (a restart, a network blip) emits 'error' on the pool. Without a
    // listener that error would crash the process; the pool drops the client and the next query reconnects.
    this.#pool.on("error", (error) => this.#log.warn({ err: error }, "idle database connection lost"));
    // Every client gets a listener for its whole life. pg-pool removes its idle listener when it hands a
    // released client straight to a waiting connect(), and the transaction adds its own a few microtasks
    // later: a FATAL (pg_terminate_backend) arriving in the same chunk as the last query's answer was
    // emitted in between, with nobody listening, and killed the process. The query or transaction in
    // progress still fails on its own (retriable); this listener only keeps the 'error' event handled.
    this.#pool.on("connect", (client) =>
      client.on("error", (error) => this.#log.debug({ err: error }, "database connection lost")),
    );
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const result = await this.#pool.query(statement(text, params));
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async exec(script: string): Promise<void> {
    // Without parameters pg uses the simple query protocol, which runs several statements.
    await this.#pool.query(script);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: { isolation?: Isolation } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken = false;
      // A checked-out client's errors are emitted on the client, not the pool: a server ending the session
      // while this transaction waits between statements (pg_terminate_backend, a restart) would otherwise be
      // an unhandled 'error' event that kills the process. The statement in flight, if any, rejects too.
      const onError = (error: Error): void => {
        broken = true;
        this.#log.warn({ err: error }, "database session lost during a transaction");
      };
      client.on("error", onError);
      try {
        await client.query(options.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation.toUpperCase()}` : "BEGIN");
        const tx: Queryable = {
          query: async <R>(text: string, params?: readonly unknown[]) => {
            const result = await client.query(statement(text, params));
            return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
          },
          exec: async (script: string) => {
            await client.query(script);
          },
        };
        const value = await fn(tx);
        await client.query("COMMIT");
        return value;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          // The connection itself is gone: don't return it to the pool.
          broken = true;
          this.#log.debug({ err: rollbackError }, "rollback failed");
        }
        // The session died under the transaction: nothing was committed, and a new connection will work.
        if (broken && sqlState(error) === undefined) {
          throw new UnavailableError("database session lost during a transaction", { cause: error });
        }
        const state = sqlState(error);
        const transient = state === PG_ERROR.serializationFailure || state === PG_ERROR.deadlockDetected;
        if (!transient || attempt >= TRANSACTION_ATTEMPTS) throw error;
        this.#log.debug({ err: error, attempt }, "transaction lost a race; retrying");
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
      // Short: the competing transaction has usually committed by now. (ms: ~20, 40, 80, 160)
      await delay(backoffDelay(attempt, { initialMs: 20, maxMs: 500, factor: 2, jitter: 0.5 }));
    }
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#pool.end());
  }
}
