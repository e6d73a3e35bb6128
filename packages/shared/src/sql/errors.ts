import { AirlockError, UnavailableError } from "../errors.js";

/** Postgres error codes Airlock acts on (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PG_ERROR = {
  /** Two transactions' writes could not be serialised; the loser may simply try again. */
  serializationFailure: "40001",
  /** The deadlock detector picked this transaction as the victim; trying again succeeds. */
  deadlockDetected: "40P01",
  /** A unique index refused a duplicate: for idempotent inserts, "already done". */
  uniqueViolation: "23505",
  /** The database named in the URL does not exist. */
  invalidCatalogName: "3D000",
  /** The server is shutting down or restarting; a new connection will work. */
  adminShutdown: "57P01",
  cannotConnectNow: "57P03",
} as const;

/** The SQLSTATE of a Postgres error, from pg or PGlite. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether running the same transaction again may succeed. */
export function isTransientSqlError(error: unknown): boolean {
  const state = sqlState(error);
  if (state === PG_ERROR.serializationFailure || state === PG_ERROR.deadlockDetected) return true;
  if (state?.startsWith("08") || state === PG_ERROR.adminShutdown || state === PG_ERROR.cannotConnectNow) return true;
  if (error instanceof UnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "ETIMEDOUT" || code === "EPIPE") return true;
  // pg's own words for a client whose connection is gone (no SQLSTATE: the server never answered).
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|not queryable|Client was closed/.test(message);
}

/**
 * Wrap a database fault as an AirlockError that says whether it is retriable, so the transport's retrier
 * keeps an event for redelivery while the database is down instead of dead-lettering it.
 */
export function toAirlockError(error: unknown, what: string): AirlockError {
  if (error instanceof AirlockError) return error;
  if (isTransientSqlError(error)) return new UnavailableError(`${what}: database unavailable`, { cause: error });
  return new AirlockError(`${what}: ${(error as Error).message ?? String(error)}`, {
    code: `sql_${sqlState(error) ?? "error"}`,
    retriable: false,
    cause: error,
  });
}
