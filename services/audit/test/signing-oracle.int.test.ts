import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMetrics, createTransport, silentLogger, type SqlClient, type Transport } from "@airlock/shared";
import { createTestDatabase, uniqueNamespace, waitFor, type TestDatabase } from "@airlock/shared/testing";
import { CHECKPOINT_STATE_FILE, startAuditService, writeCheckpoint, type RunningAuditService } from "../src/index.js";
import type { SignedState } from "../src/checkpoint-writer.js";
import { appendEvents } from "../src/store/append.js";
import { asSuperuser, migrateAudit, newSigner, testConfig, toolCall } from "./helpers.js";

// A database superuser rewrites the chain and deletes the checkpoints, then restarts the checkpointer. It
// keeps what it signed last in a file beside its key, outside the database, so it will not sign the rewrite.

async function checkpoints(sql: SqlClient): Promise<number> {
  const { rows } = await sql.query<{ n: number }>("select count(*)::int as n from audit.checkpoints");
  return rows[0]!.n;
}

describe("the checkpointer is no signing oracle", () => {
  let db: TestDatabase;
  let dir: string;
  let transport: Transport;
  const running: RunningAuditService[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    await migrateAudit(db.sql);
    dir = await mkdtemp(join(tmpdir(), "airlock-oracle-"));
    transport = await createTransport("memory://", { logger: silentLogger(), namespace: uniqueNamespace("oracle") });
    await transport.start();
  });
  afterEach(async () => {
    for (const service of running.splice(0)) await service.stop();
    await transport.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(): Promise<RunningAuditService> {
    const service = await startAuditService({
      config: testConfig({
        AIRLOCK_DATA_DIR: dir,
        AIRLOCK_CHECKPOINT_EVERY: "1000",
        AIRLOCK_CHECKPOINT_INTERVAL: "1h",
      }),
      sql: db.sql,
      transport,
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    running.push(service);
    return service;
  }

  /** Five events recorded and checkpointed by a service that is then stopped. */
  async function signedLog(): Promise<void> {
    const service = await start();
    for (let n = 0; n < 5; n++) await transport.publish(toolCall("agent-o", n));
    await waitFor(async () => {
      const { rows } = await db.sql.query<{ n: number }>("select count(*)::int as n from audit.log");
      return rows[0]!.n === 5;
    }, "five entries");
    await service.checkpointNow();
    expect(await checkpoints(db.sql)).toBe(1);
    await service.stop();
    running.splice(running.indexOf(service), 1);
  }

  it("goes on signing an honest log after a restart", async () => {
    await signedLog();
    const service = await start();
    await transport.publish(toolCall("agent-o", 5));
    await waitFor(async () => {
      const { rows } = await db.sql.query<{ n: number }>("select count(*)::int as n from audit.log");
      return rows[0]!.n === 6;
    }, "the sixth entry");
    await service.checkpointNow();
    expect(await checkpoints(db.sql)).toBeGreaterThanOrEqual(2);
  });

  it("refuses to sign a rewritten chain whose checkpoints were deleted", async () => {
    await signedLog();
    // The whole log rewritten (a valid chain of other events) and every checkpoint gone.
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.subtrees");
      await tx.query("delete from audit.checkpoints");
      await tx.query("delete from audit.log");
    });
    await appendEvents(
      db.sql,
      Array.from({ length: 7 }, (_, n) => toolCall("agent-forged", n)),
    );
    const service = await start();
    await service.checkpointNow();
    expect(await checkpoints(db.sql)).toBe(0);
  });

  it("refuses to sign a chain rewritten under its checkpoints", async () => {
    await signedLog();
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.log");
    });
    await appendEvents(
      db.sql,
      Array.from({ length: 7 }, (_, n) => toolCall("agent-forged", n)),
    );
    const service = await start();
    await service.checkpointNow();
    expect(await checkpoints(db.sql)).toBe(1);
  });

  it("follows another instance's checkpoints when it has nothing new to sign", async () => {
    const [a, b] = [newSigner(), newSigner()];
    let bKept: SignedState | undefined;
    await appendEvents(db.sql, [toolCall("agent-a", 0), toolCall("agent-a", 1)]);
    await writeCheckpoint(db.sql, { chain: "main", signer: b, now: new Date(), keep: (s) => (bKept = s) });
    expect(bKept?.tree_size).toBe(2);
    // A signs everything after that; B, asked next, has nothing new.
    await appendEvents(db.sql, [toolCall("agent-a", 2), toolCall("agent-a", 3), toolCall("agent-a", 4)]);
    await writeCheckpoint(db.sql, { chain: "main", signer: a, now: new Date() });
    let next: SignedState | undefined;
    const signed = await writeCheckpoint(db.sql, {
      chain: "main",
      signer: b,
      now: new Date(),
      kept: bKept!,
      keep: (s) => (next = s),
    });
    expect(signed).toBeUndefined();
    // B checked A's checkpoint against the entries and goes on from there.
    expect(next).toMatchObject({ tree_size: 5 });
  });

  it("keeps its state beside its key", async () => {
    await signedLog();
    const kept = JSON.parse(await readFile(join(dir, CHECKPOINT_STATE_FILE), "utf8")) as {
      chains: Record<string, { tree_size: number }>;
    };
    expect(kept.chains["main"]?.tree_size).toBe(5);
  });
});
