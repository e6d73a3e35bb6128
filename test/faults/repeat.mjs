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
// Writes test/faults/results/repeat-<quiet|loaded>.json (each run's file, seed, status and duration) and
// keeps the results file of every failed run as test/faults/results/failed/<name>-<seed>.json. Unless
// --no-docs, or --seed is given, it rewrites RELIABILITY.md's repeated-runs table from both repeat files.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";

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

const kind = load > 0 ? "loaded" : "quiet";
const summary = {
  at: new Date().toISOString(),
  commit: spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim(),
  command: `npm run test:faults:repeat -- ${process.argv.slice(2).join(" ")}`.trim(),
  busy_cores: load,
  suites: Object.fromEntries(
    files.map((file) => {
      const of = record.filter((r) => r.file === file);
      return [file, { passed: of.filter((r) => r.passed).length, runs: of.length }];
    }),
  ),
  runs: record,
};
const summaryFile = path.join(resultsDir, `repeat-${kind}${seed ? `-seed-${seed}` : ""}.json`);
writeFileSync(summaryFile, await prettyJson(summaryFile, summary));
process.stdout.write(`\n${JSON.stringify(summary.suites, null, 2)}\n`);
if (!flag("no-docs") && !seed) await rewriteDoc();
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

async function prettyJson(file, value) {
  return format(JSON.stringify(value), { ...((await resolveConfig(file)) ?? {}), parser: "json" });
}

/** RELIABILITY.md's table of repeated runs, from repeat-quiet.json and repeat-loaded.json. */
async function rewriteDoc() {
  const doc = path.join(root, "RELIABILITY.md");
  const begin = "<!-- repeat -->";
  const end = "<!-- /repeat -->";
  const text = readFileSync(doc, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  const read = (name) => {
    const file = path.join(resultsDir, `repeat-${name}.json`);
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  };
  const quiet = read("quiet");
  const loaded = read("loaded");
  const all = [...new Set([...Object.keys(quiet?.suites ?? {}), ...Object.keys(loaded?.suites ?? {})])];
  const cell = (of, file) => {
    const s = of?.suites[file];
    return s ? `${s.passed} / ${s.runs}` : "—";
  };
  const lines = [
    `_Quiet: \`${quiet?.command ?? "not run"}\`${quiet ? ` at ${quiet.commit} on ${quiet.at}` : ""}. Loaded: \`${loaded?.command ?? "not run"}\`${loaded ? ` at ${loaded.commit} on ${loaded.at} (${loaded.busy_cores} busy core${loaded.busy_cores === 1 ? "" : "s"} beside each run)` : ""}. Each run's seed, status and duration: \`test/faults/results/repeat-*.json\`; a failed run's results file, with its \`replay\` command: \`test/faults/results/failed/\`._`,
    "",
    "| suite | passed / runs, quiet | passed / runs, loaded |",
    "| --- | --- | --- |",
    ...all.map((file) => `| \`${file}\` | ${cell(quiet, file)} | ${cell(loaded, file)} |`),
  ];
  writeFileSync(doc, text.slice(0, from) + begin + "\n" + lines.join("\n") + "\n" + text.slice(to));
}
