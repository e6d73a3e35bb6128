import { mkdir } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.js";
import type { Logger } from "../lifecycle/logger.js";
import type { SqlClient } from "./client.js";
import { PgClient } from "./pg.js";
import { PgliteClient } from "./pglite.js";

/** Options of {@link connectSql}. */
export interface ConnectSqlOptions {
  logger: Logger;
  /** Where the embedded database lives when no URL is given (AIRLOCK_DATA_DIR). */
  dataDir?: string;
  /** Pool size for a Postgres server. */
  max?: number;
  applicationName?: string;
}

/**
 * The database for a URL: `postgres://…` → a pool on that server; `pglite://memory` → an in-memory
 * embedded database; `pglite:///abs/dir` or no URL at all → an embedded database on disk
 * (`<dataDir>/pgdata`, default `./.airlock/pgdata`). Checks the connection before returning.
 */
export async function connectSql(url: string | undefined, options: ConnectSqlOptions): Promise<SqlClient> {
  const log = options.logger.child({ module: "sql" });
  if (url === undefined || url.startsWith("pglite://")) {
    const target =
      url === undefined ? path.join(options.dataDir ?? "./.airlock", "pgdata") : url.slice("pglite://".length);
    if (target === "memory" || target === "") return PgliteClient.open();
    await mkdir(target, { recursive: true });
    log.info({ dataDir: target }, "embedded database (PGlite)");
    return PgliteClient.open(target);
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError(`DATABASE_URL: not a database URL; use postgres://user:pass@host:5432/db`);
  }
  const client = new PgClient(url, {
    logger: options.logger,
    ...(options.max === undefined ? {} : { max: options.max }),
    ...(options.applicationName === undefined ? {} : { applicationName: options.applicationName }),
  });
  try {
    await client.query("select 1");
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}
