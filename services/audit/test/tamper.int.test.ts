import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@airlock/shared/testing";
import { parseAuditPublicKey, signCheckpoint, type SignedCheckpoint } from "@airlock/shared";
import { verify, type KeptCheckpoint, type VerifyOptions, type VerifyReport } from "../src/index.js";
import { checkpointAt, latestCheckpoint, signedPart } from "../src/store/checkpoints.js";
import { verifyRanges } from "../src/verify/ranges.js";
import { VerifyWorkers } from "../src/verify/worker-pool.js";
import { append, asSuperuser, fillLog, migrateAudit, newSigner, toolCall } from "./helpers.js";

// Each test tampers with a 40-entry log (checkpoints at 10, 20, 30, 40) the way an attacker with
// superuser access would — triggers bypassed — and expects the verifier to name the first bad seq.
// Every test runs twice: serially, and in parallel ranges of 8 entries checked by two worker threads
// (whose first bad range is then replayed serially) — the same problems must be named the same way.

const signer = newSigner();
const pinned = { publicKeys: [signer.publicKeyText], pageSize: 7 };

function problemOf(report: VerifyReport) {
  expect(report.ok).toBe(false);
  return report.chains[0]!.problem!;
}

describe.each(["serial", "parallel"] as const)("tamper detection on Postgres, %s", (mode) => {
  let db: TestDatabase;
  const check = (options: VerifyOptions): Promise<VerifyReport> =>
    verify(
      db.sql,
      mode === "parallel"
        ? { ...options, parallel: { databaseUrl: db.url, workers: 2, rangeSize: 8, minEntries: 0 } }
        : options,
    );

  beforeEach(async () => {
    db = await createTestDatabase();
    await migrateAudit(db.sql);
    await fillLog(db.sql, signer, { count: 40, every: 10 });
  });
  afterEach(async () => {
    await db.drop();
  });

  it("verifies a clean log with no false alarm, pinned or trusting the database's keys", async () => {
    for (const options of [pinned, {}]) {
      const report = await check(options);
      expect(report.ok).toBe(true);
      expect(report.chains).toEqual([
        expect.objectContaining({ chain: "main", ok: true, entries: 40, checkpoints: 4, unvouched: 0 }),
      ]);
    }
    expect((await check({})).trust).toBe("database");
  });

  it("detects an edited event", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query(
        `update audit.log set event = replace(event, '"amount":17', '"amount":17000') where chain = 'main' and seq = 17`,
      );
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "edited", seq: 17 });
  });

  it("detects an edited event whose leaf and chain hashes were recomputed, at the checkpoint", async () => {
    await asSuperuser(db.sql, async (tx) => {
      // Rewrite entry 25 and re-chain everything after it, as a careful attacker would.
      await tx.query(`update audit.log set event = replace(event, '"amount":25', '"amount":2500') where seq = 25`);
      await tx.query(
        `update audit.log set leaf_hash = sha256('\\x00'::bytea || convert_to(event, 'UTF8')) where seq = 25`,
      );
      for (let seq = 25; seq < 40; seq++) {
        await tx.query(
          `update audit.log l set prev_hash = p.hash, hash = sha256(p.hash || l.leaf_hash)
           from audit.log p where p.chain = l.chain and p.seq = l.seq - 1 and l.seq = $1`,
          [seq],
        );
      }
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "rewritten", seq: 20, tree_size: 30 });
  });

  it("detects a hash column cut to 31 bytes, its CHECK constraint dropped first", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("alter table audit.log drop constraint log_leaf_hash_check");
      await tx.query("update audit.log set leaf_hash = substring(leaf_hash from 1 for 31) where seq = 23");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "edited", seq: 23 });
  });

  it("detects an entry moved past the end of the log", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("update audit.log set seq = 100000 where seq = 39");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "deleted", seq: 39 });
  });

  it("detects a deleted middle entry", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.log where seq = 12");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "deleted", seq: 12 });
  });

  it("detects a deleted entry whose successors were renumbered", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.log where seq = 12");
      await tx.query("update audit.log set seq = seq - 1 where seq > 12");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "deleted", seq: 12 });
  });

  it("detects an inserted entry", async () => {
    const forged = toolCall("mallory", 999);
    await asSuperuser(db.sql, async (tx) => {
      // Make room at 15 and insert a well-formed entry linked to 14, as if it had always been there.
      await tx.query("update audit.log set seq = seq + 1000 where seq >= 15");
      await tx.query("update audit.log set seq = seq - 999 where seq >= 1000");
      const { rows } = await tx.query<{ hash: Buffer }>("select hash from audit.log where seq = 14");
      const text = JSON.stringify(forged);
      await tx.query(
        `insert into audit.log (chain, seq, event_id, type, subject, event, leaf_hash, prev_hash, hash)
         values ('main', 15, $1, $2, $3, $4, sha256('\\x00'::bytea || convert_to($4, 'UTF8')), $5,
                 sha256($5 || sha256('\\x00'::bytea || convert_to($4, 'UTF8'))))`,
        [forged.id, forged.type, forged.subject, text, rows[0]!.hash],
      );
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "inserted", seq: 15 });
  });

  it("detects two adjacent entries swapped", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("update audit.log set seq = 100000 where seq = 8");
      await tx.query("update audit.log set seq = 8 where seq = 9");
      await tx.query("update audit.log set seq = 9 where seq = 100000");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "reordered", seq: 8 });
  });

  it("detects two swapped entries far apart", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("update audit.log set seq = 100000 where seq = 5");
      await tx.query("update audit.log set seq = 5 where seq = 33");
      await tx.query("update audit.log set seq = 33 where seq = 100000");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "reordered", seq: 5 });
  });

  it("detects a truncated tail against a checkpoint kept elsewhere", async () => {
    const kept: KeptCheckpoint = {
      ...signedPart((await latestCheckpoint(db.sql, "main"))!),
      public_key: signer.publicKeyText,
    };
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.log where seq >= 33");
      await tx.query("delete from audit.checkpoints where tree_size > 30");
    });
    // Without the kept checkpoint the shortened log is self-consistent…
    expect((await check(pinned)).ok).toBe(true);
    // …with it, the cut is found, by the kept checkpoint's own public key.
    expect(problemOf(await check({ checkpoint: kept, pageSize: 7 }))).toMatchObject({
      kind: "truncated",
      seq: 33,
      tree_size: 40,
    });
  });

  it("detects a tail cut off and rewritten since a kept checkpoint", async () => {
    const kept = signedPart((await latestCheckpoint(db.sql, "main"))!);
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("delete from audit.log where seq >= 35");
      await tx.query("delete from audit.checkpoints where tree_size > 30");
    });
    await append(
      db.sql,
      Array.from({ length: 5 }, (_, i) => toolCall("mallory", i)),
    );
    expect(problemOf(await check({ ...pinned, checkpoint: kept }))).toMatchObject({
      kind: "rewritten",
      seq: 30,
      tree_size: 40,
    });
  });

  it("detects a stored checkpoint re-signed with another key", async () => {
    const mallory = newSigner();
    const original = (await checkpointAt(db.sql, "main", 20))!;
    const forged: SignedCheckpoint = signCheckpoint(
      { ...signedPart(original), key_id: mallory.keyId, signed_at: new Date().toISOString() },
      mallory.privateKey,
    );
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("update audit.checkpoints set key_id = $1, signature = $2, signed_at = $3 where tree_size = 20", [
        forged.key_id,
        forged.signature,
        forged.signed_at,
      ]);
    });
    // Pinned to the real key, and also when trusting audit.keys (mallory's key is not there).
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "untrusted_key", seq: 10, tree_size: 20 });
    expect(problemOf(await check({}))).toMatchObject({ kind: "untrusted_key", seq: 10, tree_size: 20 });
    // An attacker who also lists their key in audit.keys fools only a verifier that trusts the database.
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("insert into audit.keys (key_id, public_key) values ($1, $2)", [
        mallory.keyId,
        mallory.publicKeyText,
      ]);
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "untrusted_key", seq: 10, tree_size: 20 });
    expect(await check({})).toMatchObject({ ok: true, trust: "database" });
  });

  it("detects a checkpoint signature that was tampered with", async () => {
    await asSuperuser(db.sql, async (tx) => {
      await tx.query("update audit.checkpoints set signed_at = '2000-01-01T00:00:00.000Z' where tree_size = 30");
    });
    expect(problemOf(await check(pinned))).toMatchObject({ kind: "bad_signature", seq: 20, tree_size: 30 });
  });
});

describe("parallel verification on Postgres", () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
    await migrateAudit(db.sql);
    // Checkpoints every 7 entries: most fall inside ranges, some on their boundaries (56, 112).
    await fillLog(db.sql, signer, { count: 120, every: 7 });
    await fillLog(db.sql, signer, { count: 30, every: 30, chain: "other" });
  });
  afterEach(async () => {
    await db.drop();
  });

  const inRanges = (rangeSize: number, kept?: KeptCheckpoint): Promise<VerifyReport> =>
    verify(db.sql, {
      ...pinned,
      ...(kept ? { checkpoint: kept } : {}),
      parallel: { databaseUrl: db.url, workers: 2, rangeSize, minEntries: 0 },
    });

  it("gives the serial verifier's report, clean or tampered, whatever the range size", async () => {
    const serial = await verify(db.sql, pinned);
    expect(serial.ok).toBe(true);
    expect(serial.chains.map((c) => [c.chain, c.entries, c.checkpoints])).toEqual([
      ["main", 120, 18],
      ["other", 30, 1],
    ]);
    for (const rangeSize of [1, 4, 8, 16, 64]) expect(await inRanges(rangeSize)).toEqual(serial);

    const kept = { ...signedPart((await checkpointAt(db.sql, "main", 63))!), public_key: signer.publicKeyText };
    await asSuperuser(db.sql, async (tx) => {
      // The link into a range (64 starts one at every size up to 64), and an edit further on.
      await tx.query(
        "update audit.log set prev_hash = decode(repeat('00', 32), 'hex') where chain = 'main' and seq = 64",
      );
      await tx.query(
        `update audit.log set event = replace(event, '"amount":90', '"amount":9000') where chain = 'main' and seq = 90`,
      );
    });
    const tampered = await verify(db.sql, { ...pinned, checkpoint: kept });
    expect(tampered.chains[0]!.problem).toMatchObject({ seq: 64 });
    for (const rangeSize of [1, 4, 8, 16, 64]) expect(await inRanges(rangeSize, kept)).toEqual(tampered);
  });

  it("joins every clean range, and stops at the start of the first range with a problem", async () => {
    const workers = new VerifyWorkers(2, db.url);
    try {
      const keys = new Map([[signer.keyId, parseAuditPublicKey(signer.publicKeyText)]]);
      const options = { keys, kept: undefined, pageSize: 7, rangeSize: 8, minEntries: 0 };
      const clean = await verifyRanges(db.sql, "main", () => workers, options);
      // Every entry and every checkpoint up to 120 verified.
      expect(clean.frontier.size).toBe(120);
      expect(clean).toMatchObject({ vouched: 120, good: 18 });
      await asSuperuser(db.sql, async (tx) => {
        await tx.query(
          `update audit.log set event = replace(event, '"amount":90', '"amount":9000') where chain = 'main' and seq = 90`,
        );
      });
      const cut = await verifyRanges(db.sql, "main", () => workers, options);
      expect(cut.frontier.size).toBe(88);
      expect(cut).toMatchObject({ vouched: 84 });
    } finally {
      await workers.close();
    }
  });

  it("refuses a range size that is not a power of two", async () => {
    await expect(inRanges(12)).rejects.toThrow(/power of two/);
  });
});
