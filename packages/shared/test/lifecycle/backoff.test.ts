import { describe, expect, it } from "vitest";
import { AirlockError, backoffDelay, retry } from "../../src/index.js";

describe("backoff", () => {
  it("doubles from 100 ms up to 5 s, with jitter inside ±20 %", () => {
    const none = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, undefined, none))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    expect(backoffDelay(1, undefined, () => 0)).toBe(80);
    expect(backoffDelay(1, undefined, () => 0.9999)).toBe(120);
  });

  const quick = { initialMs: 1, maxMs: 2, factor: 2, jitter: 0 };

  it("retries until the function succeeds", async () => {
    let calls = 0;
    const value = await retry(() => (++calls < 3 ? Promise.reject(new Error("flaky")) : Promise.resolve("done")), {
      attempts: 5,
      backoff: quick,
    });
    expect(value).toBe("done");
    expect(calls).toBe(3);
  });

  it("gives up after the attempts, and at once on a non-retriable error", async () => {
    let calls = 0;
    await expect(
      retry(() => Promise.reject(new Error(`fail ${++calls}`)), { attempts: 3, backoff: quick }),
    ).rejects.toThrow("fail 3");
    calls = 0;
    const fatal = new AirlockError("bad", { code: "bad", retriable: false });
    await expect(retry(() => (calls++, Promise.reject(fatal)), { attempts: 5, backoff: quick })).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });
});
