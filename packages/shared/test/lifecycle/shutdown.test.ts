import { describe, expect, it } from "vitest";
import { once, onShutdown, silentLogger } from "../../src/index.js";

describe("onShutdown", () => {
  it("stops once on a signal and exits 0; a second signal exits at once", async () => {
    const exits: number[] = [];
    let stops = 0;
    let finish!: () => void;
    const dispose = onShutdown(
      () => {
        stops++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      { logger: silentLogger(), deadlineMs: 10_000, signals: ["SIGUSR2"], exit: (code) => exits.push(code) },
    );
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      process.emit("SIGUSR2", "SIGUSR2");
      expect(stops).toBe(1);
      expect(exits).toEqual([130]);
      finish();
      await new Promise((resolve) => setImmediate(resolve));
      expect(exits).toEqual([130, 0]);
    } finally {
      dispose();
    }
  });

  it("exits 1 when the stop fails", async () => {
    const exits: number[] = [];
    const dispose = onShutdown(() => Promise.reject(new Error("stuck")), {
      logger: silentLogger(),
      deadlineMs: 10_000,
      signals: ["SIGUSR2"],
      exit: (code) => exits.push(code),
    });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      await new Promise((resolve) => setImmediate(resolve));
      expect(exits).toEqual([1]);
    } finally {
      dispose();
    }
  });

  it("once() returns the first call's promise to every caller", async () => {
    let calls = 0;
    const stop = once(() => {
      calls++;
      return Promise.resolve();
    });
    expect(stop()).toBe(stop());
    await stop();
    expect(calls).toBe(1);
  });
});
