/**
 * The one small SQL interface every store uses, implemented over `pg` (a pool against a Postgres server)
 * and over PGlite (Postgres compiled to WebAssembly, embedded, for `npm start`). Stores write plain
 * parameterised SQL ($1, $2 …) and never see which one they run on.
 */

/** Rows and the number of rows the statement touched. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Something that runs one statement: the client itself, or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Run a script of several statements without parameters (a migration file). */
  exec(script: string): Promise<void>;
}

/** Isolation level of a transaction. */
export type Isolation = "read committed" | "repeatable read" | "serializable";

/** A database connection (pool) a service owns. */
export interface SqlClient extends Queryable {
  /** `pg` or `pglite`. */
  readonly kind: "pg" | "pglite";
  /**
   * Run `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws
   * (and rethrow). Serialization failures and deadlocks (40001, 40P01) are retried with backoff.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: { isolation?: Isolation }): Promise<T>;
  /** Close every connection. Safe to call twice: the second call returns the first call's promise. */
  close(): Promise<void>;
}
