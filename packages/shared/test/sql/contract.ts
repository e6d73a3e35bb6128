import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseNewerError, PG_ERROR, migrate, sqlState, type SqlClient } from "../../src/index.js";

/** Opens a fresh, empty database and returns it with its cleanup. */
export type DatabaseFactory = () => Promise<{ sql: SqlClient; drop(): Promise<void> }>;

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "airlock-migrations-"));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

/**
 * What every SqlClient does alike, run unchanged against `pg` (a real server) and PGlite (embedded):
 * the stores above never learn which one they run on.
 */
export function sqlContract(kind: "pg" | "pglite", factory: DatabaseFactory): void {
  describe(`sql contract: ${kind}`, () => {
    let db: Awaited<ReturnType<DatabaseFactory>>;
    let sql: SqlClient;
    beforeAll(async () => {
      db = await factory();
      sql = db.sql;
    });
    afterAll(async () => {
      await db.drop();
    });

    it("returns rows with the same JS types on both engines", async () => {
      expect(sql.kind).toBe(kind);
      const { rows } = await sql.query<{ n: number; b: Buffer; j: unknown; t: Date; c: number }>(
        "select 42::int8 as n, '\\x0102ff'::bytea as b, $1::jsonb as j, now() as t, count(*) as c from (values (1), (2)) v(x)",
        [JSON.stringify({ a: [1, "x"] })],
      );
      const row = rows[0]!;
      expect(row.n).toBe(42);
      expect(Buffer.isBuffer(row.b)).toBe(true);
      expect(row.b.toString("hex")).toBe("0102ff");
      expect(row.j).toEqual({ a: [1, "x"] });
      expect(row.t).toBeInstanceOf(Date);
      expect(row.c).toBe(2);
    });

    it("commits a transaction that resolves and rolls back one that throws", async () => {
      await sql.exec("create table t_tx (id int primary key, v text); create index on t_tx (v);");
      await sql.transaction(async (tx) => {
        await tx.query("insert into t_tx values ($1, $2)", [1, "kept"]);
      });
      const failure = new Error("handler failed");
      await expect(
        sql.transaction(async (tx) => {
          await tx.query("insert into t_tx values ($1, $2)", [2, "rolled back"]);
          throw failure;
        }),
      ).rejects.toBe(failure);
      const { rows, rowCount } = await sql.query<{ id: number }>("select id from t_tx order by id");
      expect(rows.map((r) => r.id)).toEqual([1]);
      expect(rowCount).toBe(1);
    });

    it("reports rows touched and names Postgres error codes", async () => {
      await sql.exec("create table t_codes (id int primary key)");
      const inserted = await sql.query("insert into t_codes values (1), (2), (3)");
      expect(inserted.rowCount).toBe(3);
      const error: unknown = await sql.query("insert into t_codes values (1)").catch((e: unknown) => e);
      expect(sqlState(error)).toBe(PG_ERROR.uniqueViolation);
      const updated = await sql.query("update t_codes set id = id + 10 where id > 1");
      expect(updated.rowCount).toBe(2);
    });

    it("serialises transactions that take the same advisory lock", async () => {
      await sql.exec("create table t_counter (n int not null); insert into t_counter values (0);");
      // Read-modify-write without the lock would lose updates on a pool; the lock makes them queue.
      await Promise.all(
        Array.from({ length: 10 }, () =>
          sql.transaction(async (tx) => {
            await tx.query("select pg_advisory_xact_lock(42)");
            const { rows } = await tx.query<{ n: number }>("select n from t_counter");
            await tx.query("update t_counter set n = $1", [rows[0]!.n + 1]);
          }),
        ),
      );
      const { rows } = await sql.query<{ n: number }>("select n from t_counter");
      expect(rows[0]!.n).toBe(10);
    });

    it("migrates a schema once, in order, and is idempotent", async () => {
      const dir = await migrationsDir({
        "0001_init.sql": "create table svc_a.items (id int primary key);",
        "0002_more.sql": "alter table svc_a.items add column name text; insert into svc_a.items values (1, 'one');",
        "README.md": "not a migration",
      });
      expect(await migrate(sql, { schema: "svc_a", directory: dir })).toEqual({ applied: ["0001_init", "0002_more"] });
      expect(await migrate(sql, { schema: "svc_a", directory: dir })).toEqual({ applied: [] });
      const { rows } = await sql.query<{ name: string }>("select name from svc_a.items");
      expect(rows).toEqual([{ name: "one" }]);
    });

    it("applies each migration once when two processes migrate at the same moment", async () => {
      const dir = await migrationsDir({ "0001_init.sql": "create table svc_b.items (id int primary key);" });
      const results = await Promise.all([
        migrate(sql, { schema: "svc_b", directory: dir }),
        migrate(sql, { schema: "svc_b", directory: dir }),
      ]);
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
    });

    it("leaves nothing behind when a migration fails", async () => {
      const dir = await migrationsDir({
        "0001_init.sql": "create table svc_c.items (id int primary key);",
        "0002_broken.sql": "create table svc_c.other (id int); select no_such_function();",
      });
      await expect(migrate(sql, { schema: "svc_c", directory: dir })).rejects.toThrow(/no_such_function/);
      const { rows } = await sql.query("select 1 from information_schema.schemata where schema_name = 'svc_c'");
      expect(rows).toEqual([]);
    });

    it("refuses a database migrated by newer code", async () => {
      const newer = await migrationsDir({
        "0001_init.sql": "create table svc_d.items (id int);",
        "0002_next.sql": "alter table svc_d.items add column x int;",
      });
      const older = await migrationsDir({ "0001_init.sql": "create table svc_d.items (id int);" });
      await migrate(sql, { schema: "svc_d", directory: newer });
      const error: unknown = await migrate(sql, { schema: "svc_d", directory: older }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseNewerError);
      expect((error as Error).message).toMatch(/migration 2 \(next\).*newer version/);
    });
  });
}
