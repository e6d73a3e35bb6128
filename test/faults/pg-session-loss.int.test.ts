import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, waitFor, type TestDatabase } from "@airlock/shared/testing";
import { repoRoot } from "../../bench/soak/processes.js";

// What the outbox relay does in every service: claim rows in a transaction, wait for the broker's
// confirms (no query running), then delete them. If Postgres ends the session during that wait
// (pg_terminate_backend, a failover, a reset connection), the checked-out pg client emits 'error'. The
// process must survive it and the transaction must fail with a retriable error — found by the
// service-crash fault runs, where approvals died with "Unhandled 'error' event … ECONNRESET".
const VICTIM = `
import { connectSql, isTransientSqlError, silentLogger } from "@airlock/shared";
const sql = await connectSql(process.env.DATABASE_URL, { logger: silentLogger(), applicationName: "victim" });
const outcome = await sql
  .transaction(async (tx) => {
    await tx.query("select 1");
    process.stdout.write("waiting\\n");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    await tx.query("select 1");
  })
  .then(
    () => "committed",
    (error) => (isTransientSqlError(error) || error.retriable ? "retriable" : "fatal:" + error.message),
  );
const after = await sql.query("select 1 as one").then((r) => r.rows[0].one, (e) => String(e));
process.stdout.write(outcome + " " + after + "\\n");
await sql.close();
`;

describe("a Postgres session ended while a transaction waits between queries", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("fails that transaction (retriable) and the process carries on", async () => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", VICTIM], {
      cwd: repoRoot(),
      env: { PATH: process.env["PATH"], DATABASE_URL: db.url },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const waiting = new Promise<void>((resolve) =>
      createInterface({ input: child.stdout }).on("line", (line) => {
        lines.push(line);
        if (line === "waiting") resolve();
      }),
    );
    await waiting;
    const { rows } = await db.sql.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'victim'`,
    );
    expect(rows[0]?.n).toBe(1);
    // Let the victim go on only once its session is gone for sure.
    await waitFor(async () => {
      const left = await db.sql.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where application_name = 'victim'`,
      );
      return left.rows[0]?.n === 0;
    }, "the victim's session to end");
    child.stdin.end("go\n");
    const code = await exited;
    expect(stderr, "the process must not die of an unhandled 'error' event").not.toContain("Unhandled 'error' event");
    expect(code).toBe(0);
    expect(lines).toContain("retriable 1");
  });
});
