import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, waitFor, type TestDatabase } from "@airlock/shared/testing";
import { repoRoot } from "../../bench/soak/processes.js";
import { HoldingProxy } from "./support/holding-proxy.js";

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

/** A victim script running in a process of its own, and what it has said so far. */
interface Victim {
  child: ChildProcessWithoutNullStreams;
  /** Its stdout, line by line. */
  lines: string[];
  stderr: string;
  /** Its exit code. */
  exited: Promise<number | null>;
}

/** Run `script` in a Node process of its own, connecting to `databaseUrl`. */
function spawnVictim(script: string, databaseUrl: string): Victim {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: repoRoot(),
    env: { PATH: process.env["PATH"], DATABASE_URL: databaseUrl },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const victim: Victim = {
    child,
    lines: [],
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  child.stderr.on("data", (chunk: Buffer) => (victim.stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on("line", (line) => victim.lines.push(line));
  return victim;
}

describe("a Postgres session ended while a transaction waits between queries", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("fails that transaction (retriable) and the process carries on", async () => {
    const victim = spawnVictim(VICTIM, db.url);
    try {
      await waitFor(() => victim.lines.includes("waiting"), "the victim's transaction to wait");
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
      victim.child.stdin.end("go\n");
      const code = await victim.exited;
      expect(victim.stderr, "the process must not die of an unhandled 'error' event").not.toContain(
        "Unhandled 'error' event",
      );
      expect(code).toBe(0);
      expect(victim.lines).toContain("retriable 1");
    } finally {
      // A wait that failed leaves the victim waiting on stdin; once it has exited this does nothing.
      victim.child.kill("SIGKILL");
    }
  });
});

// The approvals process that "exited by itself" in the RabbitMQ-restart fault run (and audit, once, on Kafka)
// died of this: pool.query's client finishes its query and is handed straight to a transaction waiting in
// pool.connect(); pg-pool takes its idle 'error' listener off, and PgClient.transaction puts its own on only
// after the connect promise resolves. A FATAL from pg_terminate_backend read in the same chunk as that
// query's ReadyForQuery is emitted in between, on a client with no 'error' listener: "Unhandled 'error'
// event … terminating connection due to administrator command" (pg/lib/client.js _handleErrorMessage).
const WAITING_VICTIM = `
import { connectSql, isTransientSqlError, silentLogger } from "@airlock/shared";
const sql = await connectSql(process.env.DATABASE_URL, { logger: silentLogger(), applicationName: "victim", max: 1 });
process.stdout.write("ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const settle = (promise) =>
  promise.then(
    () => "ok",
    (error) => (isTransientSqlError(error) || error.retriable ? "retriable" : "fatal:" + error.message),
  );
// The pool's one connection answers this query while the transaction waits for that connection.
const query = settle(sql.query("select 1"));
const transaction = settle(sql.transaction((tx) => tx.query("select 2")));
process.stdout.write("queued\\n");
const outcomes = await Promise.all([query, transaction]);
const after = await sql.query("select 1 as one").then((r) => r.rows[0].one, (e) => String(e));
process.stdout.write(outcomes.join(" ") + " " + after + "\\n");
await sql.close();
`;

describe("a Postgres session ended just as its connection passes from a query to a waiting transaction", () => {
  let db: TestDatabase;
  let proxy: HoldingProxy;
  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await HoldingProxy.start(db.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
  });

  // The approvals process that exited by itself in the RabbitMQ-restart fault run died here: an 'error'
  // event on a pg client between pg-pool's handover and the transaction's own listener. Fixed in
  // PgClient's constructor (a listener for each client's whole life); this reproduces the timing exactly.
  it("fails that transaction (retriable) and the process carries on", async () => {
    const victim = spawnVictim(WAITING_VICTIM, proxy.urlFor(db.url));
    try {
      await waitFor(() => victim.lines.includes("ready"), "the victim to connect");
      // What the server sends next — the answer to the victim's query, then the FATAL — reaches it in one chunk.
      proxy.hold();
      victim.child.stdin.write("go\n");
      await waitFor(() => victim.lines.includes("queued") && proxy.holdsAnswer(), "the query's answer, held");
      const { rows } = await db.sql.query<{ n: number }>(
        `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'victim'`,
      );
      expect(rows[0]?.n).toBe(1);
      await waitFor(() => proxy.serverEnded(), "Postgres to end the victim's session");
      proxy.release();
      victim.child.stdin.end();
      const code = await victim.exited;
      expect(victim.stderr, "the process must not die of an unhandled 'error' event").not.toContain(
        "Unhandled 'error' event",
      );
      expect(code).toBe(0);
      expect(victim.lines).toContain("ok retriable 1");
    } finally {
      // A wait that failed leaves the victim waiting on stdin or on the proxy; once it has exited this does nothing.
      victim.child.kill("SIGKILL");
    }
  });
});
