import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";

/** The suites that write figures, each into `test/<suite>/results/`. */
export type Suite = "faults" | "hostile" | "load";

const testRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where a suite's figures go. */
export function resultsDir(suite: Suite): string {
  return path.join(testRoot, suite, "results");
}

/**
 * Write one test's figures to `test/<suite>/results/<name>.json`, with when, where and how it ran, so
 * RELIABILITY.md quotes a run rather than a hand (`node test/faults/run.mjs` gathers them into summary.json).
 */
export async function writeFigures(suite: Suite, name: string, figures: Record<string, unknown>): Promise<string> {
  const dir = resultsDir(suite);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const record = {
    suite,
    name,
    at: new Date().toISOString(),
    mode: process.env["AIRLOCK_FAULTS_LONG"] === "1" ? "long" : "short",
    machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg().map((n) => +n.toFixed(2)) },
    // The busy cores test/faults/repeat.mjs ran beside the test (--load): part of what a replay must repeat.
    busy_cores: Number(process.env["AIRLOCK_FAULTS_LOAD"] ?? 0),
    ...figures,
  };
  // Formatted as `npm run lint` (prettier --check .) wants every JSON file in the tree.
  const options = (await resolveConfig(file)) ?? {};
  await writeFile(file, await format(JSON.stringify(record), { ...options, parser: "json" }));
  return file;
}
