import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// npm links a bin at install time only if its file exists then; in a fresh clone nothing is built yet,
// so a bin under dist/ was never linked and the README's `npx airlock …` failed on a fresh machine.
describe("the airlock bin", () => {
  const manifest = JSON.parse(readFileSync(path.join(cli, "package.json"), "utf8")) as { bin: Record<string, string> };
  const bin = manifest.bin["airlock"]!;

  it("is a file kept in the repository, not a build output", () => {
    expect(bin.replace(/^\.\//, "").startsWith("dist/")).toBe(false);
    expect(existsSync(path.join(cli, bin))).toBe(true);
    const tracked = execFileSync("git", ["ls-files", "--error-unmatch", bin], { cwd: cli, encoding: "utf8" });
    expect(tracked.trim()).toBe(bin.replace(/^\.\//, ""));
  });

  it("runs the command line", () => {
    const out = execFileSync(process.execPath, [path.join(cli, bin), "--help"], { encoding: "utf8" });
    expect(out).toMatch(/^Usage: airlock <command>/);
  });
});
