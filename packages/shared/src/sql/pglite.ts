import { PGlite, types } from "@electric-sql/pglite";
import type { Isolation, Queryable, QueryResult, SqlClient } from "./client.js";

// bytea as a Buffer, as pg returns it (PGlite's default is a plain Uint8Array).
const parsers = { [types.BYTEA]: (text: string) => Buffer.from(text.slice(2), "hex") };

/**
 * {@link SqlClient} over PGlite: a real Postgres engine compiled to WebAssembly, running in this process.
 * One connection, so transactions run one at a time (PGlite queues them); that is the embedded default's
 * trade: no server to install, the throughput of a single connection.
 */
export class PgliteClient implements SqlClient {
  readonly kind = "pglite";
  readonly #db: PGlite;
  #closing: Promise<void> | undefined;

  private constructor(db: PGlite) {
    this.#db = db;
  }

  /** Open a database in `dataDir`, or in memory when it is undefined. */
  static async open(dataDir?: string): Promise<PgliteClient> {
    const db = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), parsers });
    return new PgliteClient(db);
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return toResult<R>(await this.#db.query<R>(text, params as unknown[] | undefined));
  }

  async exec(script: string): Promise<void> {
    await this.#db.exec(script);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: { isolation?: Isolation } = {}): Promise<T> {
    return this.#db.transaction(async (tx) => {
      if (options.isolation) await tx.query(`SET TRANSACTION ISOLATION LEVEL ${options.isolation.toUpperCase()}`);
      return fn({
        query: async <R>(text: string, params?: readonly unknown[]) =>
          toResult<R>(await tx.query<R>(text, params as unknown[] | undefined)),
        exec: async (script: string) => {
          await tx.exec(script);
        },
      });
    });
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#db.close());
  }
}

function toResult<R>(result: { rows: R[]; affectedRows?: number }): QueryResult<R> {
  // PGlite reports affectedRows for writes and leaves it 0 for SELECT; pg's rowCount counts rows returned too.
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}
