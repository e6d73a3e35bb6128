// The repeated-run counts of the fault suites: test/faults/results/repeat-{quiet,loaded}.json, written by
// `npm run test:faults:repeat` and `npm run test:ci-repeat`, and the table RELIABILITY.md quotes from them.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { format, resolveConfig } from "prettier";

/**
 * Add one batch of runs to repeat-<kind>.json. A batch replaces the runs of the same files from earlier
 * batches (a suite is counted over one batch, at one commit), and keeps the other files' runs.
 */
export async function saveRepeat(root, kind, batch) {
  const file = path.join(root, "test", "faults", "results", `repeat-${kind}.json`);
  const before = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { batches: [], runs: [] };
  const files = new Set(batch.runs.map((run) => run.file));
  const runs = [
    ...before.runs.filter((run) => !files.has(run.file)),
    ...batch.runs.map((run) => ({ ...run, commit: batch.commit })),
  ];
  const { runs: _runs, ...meta } = batch;
  const batches = [...before.batches.filter((b) => b.files.some((f) => !files.has(f))), { ...meta, files: [...files] }];
  const suites = Object.fromEntries(
    [...new Set(runs.map((run) => run.file))].sort().map((suite) => {
      const of = runs.filter((run) => run.file === suite);
      return [
        suite,
        {
          passed: of.filter((run) => run.passed).length,
          runs: of.length,
          commits: [...new Set(of.map((r) => r.commit))],
        },
      ];
    }),
  );
  const value = { suites, batches, runs };
  writeFileSync(file, await format(JSON.stringify(value), { ...((await resolveConfig(file)) ?? {}), parser: "json" }));
  return value;
}

/** Rewrite RELIABILITY.md's table of repeated runs between its `<!-- repeat -->` markers. */
export function rewriteRepeatTable(root) {
  const doc = path.join(root, "RELIABILITY.md");
  const begin = "<!-- repeat -->";
  const end = "<!-- /repeat -->";
  const text = readFileSync(doc, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  const read = (kind) => {
    const file = path.join(root, "test", "faults", "results", `repeat-${kind}.json`);
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { suites: {}, batches: [] };
  };
  const quiet = read("quiet");
  const loaded = read("loaded");
  const all = [...new Set([...Object.keys(quiet.suites), ...Object.keys(loaded.suites)])].sort();
  const cell = (of, suite) => {
    const s = of.suites[suite];
    return s ? `${s.passed} / ${s.runs} (at ${s.commits.join(", ")})` : "—";
  };
  const batches = (kind, of) =>
    of.batches.map(
      (b) =>
        `- ${kind}: \`${b.command}\` at ${b.commit}, ${b.at}${b.busy_cores ? ` — ${b.busy_cores} busy core(s) beside each run` : ""}${b.ci_passed ? ` — CI runs passed: ${b.ci_passed}` : ""}`,
    );
  const lines = [
    "| suite | passed / runs, quiet | passed / runs, loaded |",
    "| --- | --- | --- |",
    ...all.map((suite) => `| \`${suite}\` | ${cell(quiet, suite)} | ${cell(loaded, suite)} |`),
    "",
    ...batches("quiet", quiet),
    ...batches("loaded", loaded),
    "",
    "Each run's seed (fault runs), status and duration: `test/faults/results/repeat-*.json`; a failed run's results file or log, with its `replay` command: `test/faults/results/failed/`.",
  ];
  writeFileSync(doc, text.slice(0, from) + begin + "\n" + lines.join("\n") + "\n" + text.slice(to));
}
