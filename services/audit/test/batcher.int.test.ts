import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PoisonMessageError, UnavailableError, silentLogger, type Queryable, type SqlClient } from "@airlock/shared";
import { createPgliteDatabase } from "@airlock/shared/testing";
import { AppendBatcher } from "../src/batcher.js";
import { migrateAudit, toolCall } from "./helpers.js";

/**
 * A client that counts appends — locked transactions, and one-statement appends onto a remembered head
 * (`fast`) — and fails the next ones on demand.
 */
function instrumented(sql: SqlClient) {
  const state = { transactions: 0, fast: 0, failNext: 0, error: new Error("boom") };
  const failing = (): boolean => {
    if (state.failNext === 0) return false;
    state.failNext--;
    return true;
  };
  const client: SqlClient = {
    kind: sql.kind,
    query: (text, params) => {
      if (!text.startsWith("insert into audit.log")) return sql.query(text, params);
      state.transactions++;
      state.fast++;
      return failing() ? Promise.reject(state.error) : sql.query(text, params);
    },
    exec: (script) => sql.exec(script),
    close: () => sql.close(),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => {
      state.transactions++;
      return failing() ? Promise.reject(state.error) : sql.transaction(fn);
    },
  };
  return { client, state };
}

async function count(sql: SqlClient): Promise<number> {
  const { rows } = await sql.query<{ n: number }>("select count(*)::int as n from audit.log");
  return rows[0]!.n;
}

describe("append batcher (PGlite)", () => {
  let sql: SqlClient;
  beforeAll(async () => {
    sql = await createPgliteDatabase();
    await migrateAudit(sql);
  });
  afterAll(async () => {
    await sql.close();
  });

  it("commits what arrives together in one transaction, resolving each add after the commit", async () => {
    const { client, state } = instrumented(sql);
    const batcher = new AppendBatcher({ sql: client, logger: silentLogger(), maxSize: 100, maxDelayMs: 0 });
    const before = await count(sql);
    await Promise.all(Array.from({ length: 40 }, (_, i) => batcher.add("main", toolCall("a", i))));
    expect(state.transactions).toBe(1);
    expect(await count(sql)).toBe(before + 40);
  });

  it("cuts batches at maxSize and reports each commit's head", async () => {
    const { client, state } = instrumented(sql);
    const heads: number[] = [];
    const batcher = new AppendBatcher({
      sql: client,
      logger: silentLogger(),
      maxSize: 10,
      maxDelayMs: 60_000,
      onCommitted: (_chain, head) => heads.push(head.nextSeq),
    });
    await Promise.all(Array.from({ length: 25 }, (_, i) => batcher.add("sized", toolCall("b", i))));
    // 25 with a 60 s delay: the two full batches go at once, the last 5 only on flush.
    await batcher.flush();
    expect(state.transactions).toBe(3);
    // The first batch reads the head under the lock; the others link onto the head it remembered.
    expect(state.fast).toBe(2);
    expect(heads).toEqual([10, 20, 25]);
  });

  it("refuses an event RFC 8785 cannot encode as poison, without touching the others", async () => {
    const batcher = new AppendBatcher({ sql, logger: silentLogger(), maxSize: 10, maxDelayMs: 0 });
    const bad = toolCall("c", 1);
    (bad.data as { args: Record<string, unknown> }).args["note"] = "\uD800";
    const good = batcher.add("main", toolCall("c", 2));
    await expect(batcher.add("main", bad)).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(good).resolves.toBeUndefined();
  });

  it("leaves events for redelivery when the database is down, and splits a batch a bad row fails", async () => {
    const { client, state } = instrumented(sql);
    const batcher = new AppendBatcher({ sql: client, logger: silentLogger(), maxSize: 10, maxDelayMs: 0 });
    state.failNext = 1;
    state.error = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
    await expect(batcher.add("main", toolCall("d", 1))).rejects.toBeInstanceOf(UnavailableError);

    const before = await count(sql);
    state.transactions = 0;
    state.failNext = 1;
    state.error = Object.assign(new Error("value too long"), { code: "22001" });
    const adds = Array.from({ length: 3 }, (_, i) => batcher.add("main", toolCall("d", 10 + i)));
    await Promise.all(adds);
    // One failed batch of three, then each on its own.
    expect(state.transactions).toBe(4);
    expect(await count(sql)).toBe(before + 3);
  });

  it("refuses new events once closed, as retriable", async () => {
    const batcher = new AppendBatcher({ sql, logger: silentLogger(), maxSize: 10, maxDelayMs: 0 });
    await batcher.close();
    await expect(batcher.add("main", toolCall("e", 1))).rejects.toMatchObject({ retriable: true });
  });
});
