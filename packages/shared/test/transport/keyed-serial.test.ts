import { describe, expect, it } from "vitest";
import { KeyedSerial } from "../../src/transport/keyed-serial.js";

describe("KeyedSerial", () => {
  it("runs one key's tasks in order and other keys alongside, even when a task fails", async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    let releaseA!: () => void;
    const a1 = serial.run("a", () =>
      new Promise<void>((resolve) => (releaseA = resolve)).then(() => void log.push("a1")),
    );
    const a2 = serial.run("a", () => Promise.reject(new Error("a2 failed")));
    const a3 = serial.run("a", () => Promise.resolve(void log.push("a3")));
    await serial.run("b", () => Promise.resolve(void log.push("b1")));
    expect(log).toEqual(["b1"]);
    releaseA();
    await a1;
    await expect(a2).rejects.toThrow("a2 failed");
    await a3;
    expect(log).toEqual(["b1", "a1", "a3"]);
    expect(serial.activeKeys).toBe(0);
  });
});
