#!/usr/bin/env node
// `npm run test:ci-repeat -- [--runs=10] [--load=N]`: what CI does, N times in a row — a fresh clone of
// this repository's HEAD, then `bash .ci/run` with CI=true — and whether every run passed. Each run also
// runs every fault suite once, so the runs give the fault suites' repeated-run counts too: written to
// test/faults/results/repeat-quiet.json (repeat-loaded.json with --load) beside those of
// `npm run test:faults:repeat`, and RELIABILITY.md's table is rewritten from both.
//
// A failed run's whole log is kept as test/faults/results/failed/ci-run-<n>.log.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rewriteRepeatTable, saveRepeat } from "./repeat-table.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(option("runs") ?? 10);
const load = Number(option("load") ?? 0);
const resultsDir = path.join(root, "test", "faults", "results");
mkdirSync(path.join(resultsDir, "failed"), { recursive: true });
const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim();

// What vitest prints for each finished file: "✓ integration test/faults/x.int.test.ts (1 test) 45012ms",
// "❯ …" or "×" when it failed. Colours are stripped first.
const FILE_LINE = /^\s*([✓❯×])\s+\|?(?:integration|disruptive)\|?\s+(test\/faults\/\S+\.test\.ts)/;

const record = [];
const ciRuns = [];
for (let run = 1; run <= runs; run++) {
  const clone = path.join(tmpdir(), `airlock-ci-repeat-${run}`);
  rmSync(clone, { recursive: true, force: true });
  spawnSync("git", ["clone", "-q", root, clone], { stdio: "inherit" });
  const log = path.join(clone, "ci.log");
  const started = Date.now();
  const busy = Array.from({ length: load }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  process.stdout.write(`\n== CI run ${run}/${runs} of ${commit} in ${clone}\n`);
  const status = await runCi(clone, log);
  for (const child of busy) child.kill("SIGKILL");
  const duration_s = Math.round((Date.now() - started) / 1000);
  const text = readFileSync(log, "utf8").replace(/\u001b\[[0-9;]*m/g, "");
  const files = new Map();
  for (const line of text.split("\n")) {
    const match = FILE_LINE.exec(line);
    if (match) files.set(match[2], match[1] === "✓");
  }
  for (const [file, passed] of files) record.push({ file, run, passed, duration_s: null });
  ciRuns.push({ run, passed: status === 0, duration_s, fault_suites: Object.fromEntries(files) });
  if (status !== 0) copyFileSync(log, path.join(resultsDir, "failed", `ci-run-${run}.log`));
  process.stdout.write(`== CI run ${run}: ${status === 0 ? "passed" : "FAILED"} in ${duration_s} s\n`);
  if (status === 0) rmSync(clone, { recursive: true, force: true });
}

const ciPassed = `${ciRuns.filter((r) => r.passed).length} / ${ciRuns.length}`;
const saved = await saveRepeat(root, load > 0 ? "loaded" : "quiet", {
  at: new Date().toISOString(),
  commit,
  command: `npm run test:ci-repeat -- ${process.argv.slice(2).join(" ")}`.trim(),
  busy_cores: load,
  ci_passed: ciPassed,
  ci_runs: ciRuns,
  runs: record,
});
rewriteRepeatTable(root);
process.stdout.write(`\nCI runs passed: ${ciPassed}\n${JSON.stringify(saved.suites, null, 2)}\n`);
process.exit(ciRuns.every((r) => r.passed) ? 0 : 1);

/** `bash .ci/run` in `clone`, as CI runs it (CI=true, no standard input), its output to `log` and ours. */
function runCi(clone, log) {
  return new Promise((resolve) => {
    const out = createWriteStream(log);
    const child = spawn("bash", [".ci/run"], {
      cwd: clone,
      env: { ...process.env, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.on("exit", (code) => out.end(() => resolve(code ?? 1)));
  });
}
