import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgliteDatabase, createTestDatabase } from "@airlock/shared/testing";
import { canonicalize, leafHash, verifyConsistencyProof, verifyInclusionProof, type SqlClient } from "@airlock/shared";
import { ChainAppender, consistencyProof, inclusionProof, verify, writeCheckpoint } from "../src/index.js";
import { prepareEntry } from "../src/core/entry.js";
import { listEntries } from "../src/store/events.js";
import { append, fillLog, migrateAudit, newSigner, toolCall } from "./helpers.js";

// The store on both engines: Postgres (production) and PGlite (the embedded default).
const engines: Array<[string, () => Promise<{ sql: SqlClient; close(): Promise<void> }>]> = [
  [
    "postgres",
    async () => {
      const db = await createTestDatabase();
      return { sql: db.sql, close: () => db.drop() };
    },
  ],
  [
    "pglite",
    async () => {
      const sql = await createPgliteDatabase();
      return { sql, close: () => sql.close() };
    },
  ],
];

describe.each(engines)("audit store on %s", (_engine, open) => {
  let sql: SqlClient;
  let close: () => Promise<void>;
  const signer = newSigner();

  beforeAll(async () => {
    const opened = await open();
    sql = opened.sql;
    close = () => opened.close();
    await migrateAudit(sql);
  });
  afterAll(async () => {
    await close();
  });

  it("links entries into a hash chain of canonical JSON, recording each event id once", async () => {
    const events = [toolCall("a", 1), toolCall("b", 2), toolCall("c", 3)];
    await append(sql, events, "dup");
    await append(sql, [events[1]!, events[1]!, events[2]!], "dup");
    const { rows } = await sql.query<{ seq: number; event: string; leaf_hash: Buffer; prev_hash: Buffer }>(
      "select seq, event, leaf_hash, prev_hash from audit.log where chain = 'dup' order by seq",
    );
    expect(rows.map((r) => Number(r.seq))).toEqual([0, 1, 2]);
    expect(rows[0]!.event).toBe(canonicalize(events[0]));
    expect(rows[0]!.leaf_hash.equals(leafHash(canonicalize(events[0])))).toBe(true);
    expect(rows[0]!.prev_hash.equals(Buffer.alloc(32))).toBe(true);
    expect((await verify(sql, { chain: "dup", publicKeys: [signer.publicKeyText] })).ok).toBe(true);
  });

  it("never forks a chain or records an event twice when two instances append with remembered heads", async () => {
    // Two appenders (two instances) on one chain, each remembering the head of its own last commit:
    // every batch after the first of each is a one-statement append onto a head the other has moved.
    const first = new ChainAppender(sql);
    const second = new ChainAppender(sql);
    const events = Array.from({ length: 60 }, (_, i) => toolCall(`agent-${i % 4}`, i));
    const batch = (from: number, to: number) => new Map([["race", events.slice(from, to).map(prepareEntry)]]);
    await first.append(batch(0, 5));
    await second.append(batch(5, 10));
    // The first's head is stale now; and batches overlap, as redeliveries do.
    const results = [];
    for (let i = 10; i < 60; i += 10) {
      results.push(...(await Promise.all([first.append(batch(i - 3, i + 5)), second.append(batch(i + 2, i + 10))])));
    }
    expect(await first.append(batch(0, 60))).toEqual(
      new Map([["race", expect.objectContaining({ appended: 0, duplicates: 60 })]]),
    );
    const { rows } = await sql.query<{ n: number; ids: number; last: number }>(
      "select count(*)::int as n, count(distinct event_id)::int as ids, max(seq)::int as last from audit.log where chain = 'race'",
    );
    expect(rows[0]).toEqual({ n: 60, ids: 60, last: 59 });
    expect(results.reduce((sum, result) => sum + result.get("race")!.appended, 0)).toBe(50);
    expect((await verify(sql, { chain: "race", publicKeys: [signer.publicKeyText] })).ok).toBe(true);
  });

  it("refuses UPDATE, DELETE and TRUNCATE on the log and its checkpoints", async () => {
    await fillLog(sql, signer, { count: 3, every: 3, chain: "locked" });
    for (const statement of [
      "update audit.log set type = 'x' where chain = 'locked'",
      "delete from audit.log where chain = 'locked'",
      "truncate audit.log",
      "update audit.checkpoints set signature = 'x'",
      "delete from audit.checkpoints",
      "truncate audit.checkpoints",
      "delete from audit.keys",
    ]) {
      await expect(sql.query(statement), statement).rejects.toThrow(/append-only/);
    }
    const { rows } = await sql.query<{ n: number }>("select count(*)::int as n from audit.log where chain = 'locked'");
    expect(rows[0]!.n).toBe(3);
  });

  // PGlite 0.5 supports roles too (it runs as a superuser); a Postgres user without CREATEROLE gets a warning instead.
  it("creates the read-only airlock_auditor role", async () => {
    const { rows } = await sql.query<{ select: boolean; insert: boolean; update: boolean }>(
      `select has_table_privilege('airlock_auditor', 'audit.log', 'select') as select,
              has_table_privilege('airlock_auditor', 'audit.log', 'insert') as insert,
              has_table_privilege('airlock_auditor', 'audit.log', 'update') as update`,
    );
    expect(rows[0]).toEqual({ select: true, insert: false, update: false });
  });

  it("signs checkpoints whose inclusion and consistency proofs verify offline with the public key", async () => {
    await fillLog(sql, signer, { count: 700, every: 300, chain: "proofs" });
    const report = await verify(sql, { chain: "proofs", publicKeys: [signer.publicKeyText], pageSize: 128 });
    expect(report.chains[0]).toMatchObject({ ok: true, entries: 700, checkpoints: 3, unvouched: 0 });

    for (const seq of [0, 255, 256, 299, 511, 699]) {
      const result = await inclusionProof(sql, { chain: "proofs", seq });
      if (!result.ok) throw new Error(result.message);
      expect(verifyInclusionProof(result.proof, signer.publicKeyText)).toEqual({ ok: true });
      const older = await inclusionProof(sql, { chain: "proofs", seq: Math.min(seq, 299), treeSize: 300 });
      if (!older.ok) throw new Error(older.message);
      expect(verifyInclusionProof(older.proof, signer.publicKeyText)).toEqual({ ok: true });
    }
    const consistency = await consistencyProof(sql, { chain: "proofs", from: 300 });
    if (!consistency.ok) throw new Error(consistency.message);
    expect(consistency.proof.to.tree_size).toBe(700);
    expect(verifyConsistencyProof(consistency.proof, signer.publicKeyText)).toEqual({ ok: true });
    // Another key does not vouch for the same proof.
    expect(verifyConsistencyProof(consistency.proof, newSigner().publicKeyText).ok).toBe(false);
  });

  it("refuses proofs of entries no checkpoint covers yet", async () => {
    await append(sql, [toolCall("late", 1)], "proofs");
    const result = await inclusionProof(sql, { chain: "proofs", seq: 700 });
    expect(result).toMatchObject({ ok: false, reason: "no_checkpoint" });
    expect(await writeCheckpoint(sql, { chain: "proofs", signer, now: new Date() })).toMatchObject({ tree_size: 701 });
    expect(await writeCheckpoint(sql, { chain: "proofs", signer, now: new Date() })).toBeUndefined();
  });

  it("lists entries by subject, type, agent and time, a page at a time", async () => {
    const events = [toolCall("x-agent", 1), toolCall("y-agent", 2), toolCall("x-agent", 3)];
    await append(sql, events, "listing");
    const byAgent = await listEntries(sql, { chain: "listing", agent: "x-agent", limit: 10 });
    expect(byAgent.map((e) => e.event_id)).toEqual([events[0]!.id, events[2]!.id]);
    const bySubject = await listEntries(sql, { chain: "listing", subject: events[1]!.subject!, limit: 10 });
    expect(bySubject.map((e) => e.seq)).toEqual([1]);
    const page = await listEntries(sql, {
      chain: "listing",
      type: "airlock.tool_call.requested",
      afterSeq: 0,
      limit: 1,
    });
    expect(page.map((e) => e.seq)).toEqual([1]);
    expect(await listEntries(sql, { chain: "listing", since: new Date(Date.now() + 60_000), limit: 10 })).toEqual([]);
  });
});
