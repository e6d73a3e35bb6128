import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "packages", "cli", "dist", "bin.js");

function start(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(process.execPath, [BIN, "start"], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

// `airlock start` (what `npm start` runs) with a bad configuration stops at once with one line naming the variable.
describe("airlock start with a bad configuration", () => {
  it("names an unsupported broker", () => {
    const result = start({ AIRLOCK_BROKER: "nats://x" });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^airlock: AIRLOCK_BROKER: unsupported broker "nats:\/\/"/),
    ]);
  });

  it("names a database URL that is not one", () => {
    const result = start({ DATABASE_URL: "notaurl" });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^airlock: DATABASE_URL: "notaurl" is not a database URL/),
    ]);
  });

  it("names every bad variable, one line each", () => {
    const result = start({ AIRLOCK_BROKER: "nats://x", AIRLOCK_MODE: "sometimes", AIRLOCK_HTTP_PORT: "99999" });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.map((line) => line.split(":")[1]?.trim()).sort()).toEqual([
      "AIRLOCK_BROKER",
      "AIRLOCK_HTTP_PORT",
      "AIRLOCK_MODE",
    ]);
  });
});
