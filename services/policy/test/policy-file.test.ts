import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { ConfigError, createLogger } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readPolicyFile, watchPolicyFile, type CompiledPolicy, type PolicyFileWatcher } from "../src/index.js";
import { withRules } from "./helpers.js";

const V1 = withRules(`  - { name: r, when: { tool: t }, action: deny }\n`);
const V2 = withRules(`  - { name: r, when: { tool: t }, action: audit }\n`);
const BAD = `${V1}  - { name: r, when: { tool: u }, action: deny }\n`;

describe("the policy file", () => {
  let dir: string;
  let file: string;
  let watcher: PolicyFileWatcher | undefined;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "airlock-policy-"));
    file = path.join(dir, "policy.yaml");
    lines.length = 0;
    await writeFile(file, V1);
  });

  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const watchIt = async (debounceMs = 20) => {
    const initial = await readPolicyFile(file);
    const reloaded: CompiledPolicy[] = [];
    watcher = watchPolicyFile({ file, initial, logger, debounceMs, onReload: (policy) => reloaded.push(policy) });
    return { initial, reloaded };
  };

  it("an invalid file cannot be started with: a ConfigError names every file:line:col", async () => {
    await writeFile(file, BAD);
    const error = await readPolicyFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `policy ${file} is invalid:\n${file}:6:13: rules[1].name: duplicate rule name "r" (also rules[0])`,
    );
    await expect(readPolicyFile(path.join(dir, "missing.yaml"))).rejects.toThrow(/AIRLOCK_POLICY: cannot read/);
  });

  it("is reloaded when it is written", async () => {
    const { initial, reloaded } = await watchIt();
    await writeFile(file, V2);
    await waitFor(() => reloaded.length === 1, "the reload");
    expect(reloaded[0]!.identity.version).not.toBe(initial.identity.version);
    expect(reloaded[0]!.rules[0]!.action).toBe("audit");
  });

  it("is reloaded when another file is renamed over it (how editors and kubectl save)", async () => {
    const { reloaded } = await watchIt();
    const staged = path.join(dir, ".policy.yaml.tmp");
    await writeFile(staged, V2);
    await rename(staged, file);
    await waitFor(() => reloaded.length === 1, "the reload");
    expect(reloaded[0]!.rules[0]!.action).toBe("audit");
  });

  it("keeps the last good policy when the new file is invalid, and logs every file:line:col at error level", async () => {
    const { reloaded } = await watchIt();
    await writeFile(file, BAD);
    await waitFor(() => lines.some((line) => line["level"] === 50), "the error log");
    const logged = lines.find((line) => line["level"] === 50)!;
    expect(logged["errors"]).toEqual([`${file}:6:13: rules[1].name: duplicate rule name "r" (also rules[0])`]);
    expect(logged["msg"]).toContain(`${file}:6:13`);
    expect(reloaded).toEqual([]);
    // A good file after a bad one comes into force.
    await writeFile(file, V2);
    await waitFor(() => reloaded.length === 1, "the reload after the fix");
  });

  it("a rewrite that does not change the document's meaning is not a new version", async () => {
    // Reloads only when asked: a long quiet time keeps the watcher's own reload out of the way.
    const { reloaded } = await watchIt(600_000);
    await writeFile(file, `# reformatted\n${V1}`);
    expect(await watcher!.reload()).toBe(false);
    await writeFile(file, V2);
    expect(await watcher!.reload()).toBe(true);
    expect(reloaded).toHaveLength(1);
  });
});
