import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createHttpServer, createMetrics, silentLogger } from "@airlock/shared";
import { createTestDatabase, type TestDatabase } from "@airlock/shared/testing";
import type { FastifyInstance } from "fastify";
import { auditRoutes } from "../src/index.js";
import { latestCheckpoint, signedPart } from "../src/store/checkpoints.js";
// The command under test lives in the CLI workspace, which exports nothing but its bin.
import { audit } from "../../../packages/cli/src/commands/audit.js";
import { asSuperuser, fillLog, migrateAudit, newSigner } from "./helpers.js";

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await audit.run(args), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("airlock audit", () => {
  const signer = newSigner();
  let db: TestDatabase;
  let app: FastifyInstance;
  let dir: string;
  const saved = { DATABASE_URL: process.env["DATABASE_URL"], AIRLOCK_URL: process.env["AIRLOCK_URL"] };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateAudit(db.sql);
    await fillLog(db.sql, signer, { count: 30, every: 10 });
    app = await createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics(),
      routes: [auditRoutes({ sql: db.sql })],
    });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    dir = await mkdtemp(join(tmpdir(), "airlock-audit-cli-"));
    process.env["DATABASE_URL"] = db.url;
    process.env["AIRLOCK_URL"] = address;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await app.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("proves an entry over HTTP and checks the proof offline against the pinned key", async () => {
    const pinned = await run("proof", "12", "--key", signer.publicKeyText);
    expect(pinned).toMatchObject({ code: 0 });
    expect(pinned.out).toMatch(/entry 12 of chain main in checkpoint 30/);
    expect(pinned.out).toMatch(/verified offline\n/);
    const wrong = await run("proof", "12", "--key", newSigner().publicKeyText, "--json");
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.out)).toMatchObject({ verified: false, key: "pinned" });
  });

  it("lists the log as JSON Lines, filtered", async () => {
    const { code, out } = await run("log", "--agent", "agent-1", "--json");
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { seq: number; event: { data: { agent_id: string } } });
    expect(lines).toHaveLength(10);
    expect(lines.every((line) => line.event.data.agent_id === "agent-1")).toBe(true);
    expect((await run("log", "--since", "yesterday")).code).toBe(2);
  });

  it("verifies from the database: exit 0 when intact, 1 naming the first bad seq", async () => {
    const file = join(dir, "checkpoint.json");
    await writeFile(
      file,
      JSON.stringify({ ...signedPart((await latestCheckpoint(db.sql, "main"))!), public_key: signer.publicKeyText }),
    );
    const clean = await run("verify", "--checkpoint", file);
    expect(clean).toMatchObject({ code: 0 });
    expect(await run("verify", "--checkpoint", file, "--workers", "2")).toMatchObject({ code: 0, out: clean.out });
    // Three stored checkpoints and the kept one.
    expect(clean.out).toMatch(/chain main: intact — 30 entries, 4 checkpoints verified/);
    expect(clean.out).toMatch(/signatures checked against the key\(s\) given/);

    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.log where seq >= 25");
      await tx.query("delete from audit.checkpoints where tree_size > 20");
    });
    const cut = await run("verify", "--checkpoint", file, "--json");
    expect(cut.code).toBe(1);
    expect(JSON.parse(cut.out)).toMatchObject({ ok: false, chains: [{ problem: { kind: "truncated", seq: 25 } }] });
    const human = await run("verify", "--checkpoint", file);
    expect(human.out).toMatch(/TAMPERED — first bad seq 25 \(truncated\)/);
    expect((await run("verify", "--key", "nonsense")).code).toBe(2);
    const many = await run("verify", "--workers", "many");
    expect(many.code).toBe(2);
    expect(many.err).toMatch(/--workers/);
  });
});
