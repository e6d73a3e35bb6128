import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { AirlockError } from "../errors.js";
import type { Logger } from "../lifecycle/logger.js";
import type { SqlClient } from "./client.js";

/** A migration file: `0001_init.sql` → number 1, name "init". */
export interface Migration {
  number: number;
  name: string;
  sql: string;
}

/** The database holds a migration this code does not know: it was migrated by a newer Airlock. */
export class DatabaseNewerError extends AirlockError {
  constructor(message: string) {
    super(message, { code: "database_newer", retriable: false });
  }
}

/** A migrations folder that breaks the rules (bad name, two files with one number). */
export class MigrationFileError extends AirlockError {
  constructor(message: string) {
    super(message, { code: "bad_migration", retriable: false });
  }
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Read `NNNN_name.sql` files from a folder, in order. Other files are ignored; a bad `.sql` name is an error. */
export async function readMigrations(directory: string | URL): Promise<Migration[]> {
  const dir = typeof directory === "string" ? directory : fileURLToPath(directory);
  const names = (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  for (const file of names) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationFileError(`${path.join(dir, file)}: migration files are named NNNN_name.sql`);
    const number = Number(match[1]);
    if (migrations.some((m) => m.number === number))
      throw new MigrationFileError(`${dir}: two migrations numbered ${number}`);
    migrations.push({ number, name: match[2]!, sql: await readFile(path.join(dir, file), "utf8") });
  }
  return migrations;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The service's schema, e.g. `approvals`; created if missing. Its ledger is `<schema>.migrations`. */
  schema: string;
  /** Folder of `NNNN_name.sql` files. */
  directory: string | URL;
  logger?: Logger;
}

/**
 * Bring a service's schema up to date: BEGIN → advisory lock → ledger → pending files → COMMIT, all in one
 * transaction, so two processes starting together apply each migration once and a failed file leaves
 * nothing half-done. Refuses a database that has a migration this code doesn't know (downgrades are not
 * supported: the newer code's tables may mean something this code would misread).
 */
export async function migrate(sql: SqlClient, options: MigrateOptions): Promise<{ applied: string[] }> {
  const { schema } = options;
  if (!SCHEMA_NAME.test(schema)) throw new MigrationFileError(`bad schema name "${schema}"`);
  const migrations = await readMigrations(options.directory);
  const applied = await sql.transaction(async (tx) => {
    // One lock per schema, held until COMMIT: services migrating different schemas don't wait for each other.
    await tx.query("select pg_advisory_xact_lock(hashtext($1))", [`airlock.migrate.${schema}`]);
    await tx.exec(
      `create schema if not exists ${schema};
       create table if not exists ${schema}.migrations (
         number integer primary key,
         name text not null,
         applied_at timestamptz not null default now()
       );`,
    );
    const done = await tx.query<{ number: number; name: string }>(
      `select number, name from ${schema}.migrations order by number`,
    );
    const known = new Set(migrations.map((m) => m.number));
    const unknown = done.rows.find((row) => !known.has(row.number));
    if (unknown) {
      const latest = migrations.at(-1)?.number ?? 0;
      throw new DatabaseNewerError(
        `database schema "${schema}" has migration ${unknown.number} (${unknown.name}), which this Airlock does not know ` +
          `(it knows up to ${latest}); the database was migrated by a newer version — upgrade Airlock`,
      );
    }
    const doneNumbers = new Set(done.rows.map((row) => row.number));
    const names: string[] = [];
    for (const migration of migrations) {
      if (doneNumbers.has(migration.number)) continue;
      await tx.exec(migration.sql);
      await tx.query(`insert into ${schema}.migrations (number, name) values ($1, $2)`, [
        migration.number,
        migration.name,
      ]);
      names.push(`${String(migration.number).padStart(4, "0")}_${migration.name}`);
    }
    return names;
  });
  if (applied.length > 0) options.logger?.info({ schema, applied }, "database migrated");
  return { applied };
}
