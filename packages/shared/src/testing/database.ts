import { newId } from "../ids.js";
import { silentLogger } from "../lifecycle/logger.js";
import type { SqlClient } from "../sql/client.js";
import { PgClient } from "../sql/pg.js";
import { PgliteClient } from "../sql/pglite.js";

/** The Postgres server tests use: DATABASE_URL, else the local server on 127.0.0.1:5432. */
export function testDatabaseUrl(): string {
  const url = process.env["DATABASE_URL"];
  return url && /^postgres(ql)?:\/\//.test(url) ? url : "postgres://postgres@127.0.0.1:5432/postgres";
}

/** A database of a test's own, on the real Postgres server. */
export interface TestDatabase {
  /** Its URL, for code under test that connects by itself. */
  url: string;
  /** A client on it. */
  sql: SqlClient;
  /** Close the client and drop the database. */
  drop(): Promise<void>;
}

/**
 * Create a fresh, uniquely named database on the real Postgres server, so test files run in parallel
 * without seeing each other's rows. Throws — the test fails, it never skips — when the server does not answer.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testDatabaseUrl();
  const name = `airlock_test_${newId()
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 16)
    .toLowerCase()}`;
  const admin = new PgClient(adminUrl, { logger: silentLogger(), max: 1 });
  try {
    await admin.query(`create database ${name}`);
  } catch (error) {
    throw new Error(
      `cannot create a test database on ${adminUrl.replace(/:[^:@/]*@/, ":***@")} — is Postgres running?`,
      {
        cause: error,
      },
    );
  } finally {
    await admin.close();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = new PgClient(url.toString(), { logger: silentLogger(), max: 10 });
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    sql,
    drop: () =>
      (dropping ??= (async () => {
        await sql.close();
        const again = new PgClient(adminUrl, { logger: silentLogger(), max: 1 });
        try {
          // WITH (FORCE) (Postgres 13+) ends sessions that code under test left open.
          await again.query(`drop database if exists ${name} with (force)`);
        } finally {
          await again.close();
        }
      })()),
  };
}

/** An in-memory embedded database (PGlite), for the same tests on the embedded engine. */
export function createPgliteDatabase(): Promise<SqlClient> {
  return PgliteClient.open();
}
