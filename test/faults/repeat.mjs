#!/usr/bin/env node
// `npm run test:faults:repeat -- [--runs=10] [--load=1] [--files=a,b] [--seed=N] [--long] [--skip=KINDS]`:
// run each fault suite file again and again, one file at a time, and count how often it holds. A suite that
// passes once can still fail one run in twenty; this is how we know it does not.
//
//   --runs=N      runs of each file (default 10)
//   --load=N      N busy loops on as many cores beside every run (default 0: a quiet machine); each run's
//                 results file says how many there were, and its `replay` command repeats them
//   --files=LIST  these test files (comma-separated); default every fault suite in test/faults
//   --seed=N      every run with this fault schedule (AIRLOCK_FAULTS_SEED) — a replay; default a new seed each run
//   --long, --skip=KINDS   as for `npm run test:faults`
//   --no-docs     leave RELIABILITY.md alone
//
// Adds the runs to test/faults/results/repeat-<quiet|loaded>.json (each run's file, seed, status and
// duration; a file's earlier runs there are replaced) and keeps the results file of every failed run as
// test/faults/results/failed/<name>-<seed>.json. Unless --no-docs, or --seed is given (a replay, kept in
// repeat-replay-<seed>.json), it rewrites RELIABILITY.md's repeated-runs table.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rewriteRepeatTable, saveRepeat } from "./repeat-table.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const flag = (name) => process.argv.includes(`--${name}`);
const runs = Number(option("runs") ?? 10);
const load = Number(option("load") ?? 0);
const seed = option("seed");
const skip = option("skip");
const DEFAULT_FILES = [
  "test/faults/service-crash.amqp.int.test.ts",
  "test/faults/service-crash.kafka.int.test.ts",
  "test/faults/pg-session-loss.int.test.ts",
  "test/faults/broker-restart.restart.int.test.ts",
  "test/faults/kafka-restart.restart.int.test.ts",
];
const files = option("files")?.split(",") ?? DEFAULT_FILES;
for (const [name, value] of [
  ["runs", runs],
  ["load", load],
]) {
  if (!Number.isInteger(value) || value < 0) fail(`--${name} must be a whole number, not ${String(value)}`);
}
for (const file of files) if (!existsSync(path.join(root, file))) fail(`--files: no test file ${file}`);

const resultsDir = path.join(root, "test", "faults", "results");
const failedDir = path.join(resultsDir, "failed");
mkdirSync(failedDir, { recursive: true });

if (spawnSync("npx", ["tsc", "-b"], { cwd: root, stdio: "inherit" }).status !== 0) fail("the build failed");

const record = [];
for (let run = 1; run <= runs; run++) {
  for (const file of files) {
    const runSeed = seed ?? String(Math.floor(Math.random() * 2 ** 31));
    const project = file.endsWith(".restart.int.test.ts") ? "disruptive" : "integration";
    const started = Date.now();
    const busy = startBusyLoops(load);
    process.stdout.write(`\n== run ${run}/${runs}: ${file} (seed ${runSeed}, ${load} busy cores)\n`);
    const status = await vitest(project, file, {
      AIRLOCK_FAULTS_SEED: runSeed,
      AIRLOCK_FAULTS_LOAD: String(load),
      ...(flag("long") ? { AIRLOCK_FAULTS_LONG: "1" } : {}),
      ...(skip ? { AIRLOCK_FAULTS_SKIP: skip } : {}),
    });
    for (const child of busy) child.kill("SIGKILL");
    const written = resultsWrittenSince(started);
    const kept = [];
    if (status !== 0) {
      for (const result of written) {
        const target = path.join(failedDir, `${path.basename(result, ".json")}-${runSeed}.json`);
        copyFileSync(result, target);
        kept.push(path.relative(root, target));
      }
    }
    record.push({
      file,
      run,
      seed: Number(runSeed),
      passed: status === 0,
      duration_s: Math.round((Date.now() - started) / 1000),
      ...(kept.length > 0 ? { results: kept } : {}),
    });
    process.stdout.write(`== ${status === 0 ? "passed" : "FAILED"}: ${file} run ${run}\n`);
  }
}

const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim();
const batch = {
  at: new Date().toISOString(),
  commit,
  command: `npm run test:faults:repeat -- ${process.argv.slice(2).join(" ")}`.trim(),
  busy_cores: load,
  runs: record,
};
// A replay (--seed) is not a count of how often a suite holds: it is kept apart.
const saved = await saveRepeat(root, seed ? `replay-${seed}` : load > 0 ? "loaded" : "quiet", batch);
process.stdout.write(`\n${JSON.stringify(saved.suites, null, 2)}\n`);
if (!flag("no-docs") && !seed) rewriteRepeatTable(root);
process.exit(record.every((r) => r.passed) ? 0 : 1);

function fail(message) {
  process.stderr.write(`test:faults:repeat: ${message}\n`);
  process.exit(2);
}

/** `count` processes that each keep one core busy until killed. */
function startBusyLoops(count) {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore", detached: false }),
  );
}

function vitest(project, file, extraEnv) {
  return new Promise((resolve) => {
    const child = spawn("npx", ["vitest", "run", "--project", project, file], {
      cwd: root,
      env: { ...process.env, ...extraEnv },
      stdio: "inherit",
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** The results files (test/faults/results/*.json) a run wrote. */
function resultsWrittenSince(since) {
  return readdirSync(resultsDir)
    .filter((name) => name.endsWith(".json") && !name.startsWith("repeat-") && name !== "summary.json")
    .map((name) => path.join(resultsDir, name))
    .filter((file) => statSync(file).mtimeMs >= since);
}
