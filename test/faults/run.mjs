#!/usr/bin/env node
// `npm run test:faults [-- --long]`: build, run the fault, hostile and load suites, gather the figures every
// test wrote (test/{faults,hostile,load}/results/*.json) into test/faults/results/summary.json, and rewrite
// the figures section of RELIABILITY.md from it — so the document quotes this run, not a hand.
//
//   --long        the long runs: AIRLOCK_FAULTS_LONG=1, 300 s of faults per run (AIRLOCK_FAULTS_DURATION),
//                 a 300 s soak (AIRLOCK_SOAK_DURATION), 5,000 runs per property (AIRLOCK_PROPERTY_RUNS)
//   --no-docs     leave RELIABILITY.md alone
//   --skip=KINDS  leave out fault kinds (kill, pg, broker), e.g. to look past a known bug
//   --rerun=FILES run only these test files again (comma-separated) and keep every other result of the
//                 last run: after fixing what one suite found, without hours of the others again. The
//                 command RELIABILITY.md quotes says so.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
const long = args.includes("--long");
const skip = args.find((a) => a.startsWith("--skip="))?.slice("--skip=".length);
const rerun = args.find((a) => a.startsWith("--rerun="))?.slice("--rerun=".length);
const suites = ["faults", "hostile", "load"];
const env = {
  ...process.env,
  ...(long
    ? {
        AIRLOCK_FAULTS_LONG: "1",
        AIRLOCK_FAULTS_DURATION: process.env.AIRLOCK_FAULTS_DURATION ?? "300",
        AIRLOCK_SOAK_DURATION: process.env.AIRLOCK_SOAK_DURATION ?? "300",
        AIRLOCK_PROPERTY_RUNS: process.env.AIRLOCK_PROPERTY_RUNS ?? "5000",
      }
    : {}),
  ...(skip ? { AIRLOCK_FAULTS_SKIP: skip } : {}),
};

function run(command, commandArgs) {
  process.stdout.write(`\n$ ${command} ${commandArgs.join(" ")}\n`);
  return spawnSync(command, commandArgs, { cwd: root, env, stdio: "inherit" }).status ?? 1;
}

// Figures of an earlier run must not pass for this one's (a rerun replaces only its own files' figures).
for (const suite of rerun ? [] : suites) {
  const dir = path.join(root, "test", suite, "results");
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir))
    if (file.endsWith(".json") && file !== "summary.json") rmSync(path.join(dir, file));
}

const statuses = [];
statuses.push(run("npx", ["tsc", "-b"]));
const files = rerun ? rerun.split(",") : suites.map((suite) => `test/${suite}`);
// One file at a time: the figures should measure Airlock, not several stacks fighting for two cores.
statuses.push(
  run("npx", ["vitest", "run", "--project", "integration", "--no-file-parallelism", "--passWithNoTests", ...files]),
);
statuses.push(
  run("npx", ["vitest", "run", "--project", "disruptive", "--no-file-parallelism", "--passWithNoTests", ...files]),
);

const results = Object.fromEntries(
  suites.map((suite) => {
    const dir = path.join(root, "test", suite, "results");
    const found = existsSync(dir)
      ? readdirSync(dir)
          .filter((file) => file.endsWith(".json") && file !== "summary.json")
          .sort()
          .map((file) => JSON.parse(readFileSync(path.join(dir, file), "utf8")))
      : [];
    return [suite, found];
  }),
);
const sum = (items, key) => items.reduce((total, item) => total + (Number(item[key]) || 0), 0);
const faults = results.faults;
const hostile = results.hostile;
const soak = results.load;
const totals = {
  fault_runs: faults.length,
  events_pushed: sum(faults, "audit_entries") + soak.reduce((t, s) => t + (s.checks?.audit_entries ?? 0), 0),
  calls_made: sum(faults, "calls") + soak.reduce((t, s) => t + (s.calls ?? 0), 0),
  faults_injected: sum(faults, "faults_injected"),
  events_lost: sum(faults, "events_lost") + soak.reduce((t, s) => t + (s.checks?.events_lost ?? 0), 0),
  duplicate_verdicts_seen_by_agents:
    sum(faults, "duplicate_verdicts_seen_by_agents") +
    soak.reduce((t, s) => t + (s.checks?.duplicate_verdicts_seen_by_agents ?? 0), 0),
  allowed_by_accident: sum(faults, "allowed_by_accident"),
  fail_closed_probes: faults.reduce((t, f) => t + (f.faults ?? []).reduce((n, x) => n + (x.probes?.made ?? 0), 0), 0),
  fail_closed_probes_denied: faults.reduce(
    (t, f) => t + (f.faults ?? []).reduce((n, x) => n + (x.probes?.denied_by_client ?? 0), 0),
    0,
  ),
  service_crashes: sum(faults, "service_crashes"),
  broken_promises: faults.reduce((t, f) => t + (f.violations?.length ?? 0), 0),
  hostile_inputs_tried: sum(hostile, "inputs_tried"),
  hostile_inputs_refused_with_error: sum(hostile, "refused_with_error"),
  hostile_inputs_dead_lettered: sum(hostile, "dead_lettered_with_reason"),
  hostile_inputs_stored_verbatim: sum(hostile, "accepted_and_stored_verbatim"),
  hostile_inputs_mishandled: sum(hostile, "mishandled"),
};
const summary = {
  at: new Date().toISOString(),
  command: `npm run test:faults${long || skip || rerun ? " --" : ""}${long ? " --long" : ""}${skip ? ` --skip=${skip}` : ""}${rerun ? ` --rerun=${rerun}` : ""}`,
  mode: long ? "long" : "short",
  passed: statuses.every((status) => status === 0) && (!rerun || totals.broken_promises === 0),
  rerun: rerun ?? null,
  totals,
  results,
};
mkdirSync(path.join(root, "test", "faults", "results"), { recursive: true });
const summaryFile = path.join(root, "test", "faults", "results", "summary.json");
writeFileSync(
  summaryFile,
  await format(JSON.stringify(summary), { ...((await resolveConfig(summaryFile)) ?? {}), parser: "json" }),
);

if (!args.includes("--no-docs")) {
  const doc = path.join(root, "RELIABILITY.md");
  const begin = "<!-- figures -->";
  const end = "<!-- /figures -->";
  if (existsSync(doc)) {
    const text = readFileSync(doc, "utf8");
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from >= 0 && to > from) {
      writeFileSync(doc, text.slice(0, from) + begin + "\n" + figures(summary) + "\n" + text.slice(to));
    }
  }
}
process.stdout.write(`\n${JSON.stringify(totals, null, 2)}\n`);
process.exit(summary.passed ? 0 : 1);

/** The figures section of RELIABILITY.md. */
function figures(s) {
  const t = s.totals;
  const lines = [
    `_From \`${s.command}\` on ${s.at} (${s.passed ? (s.rerun ? "every test of the rerun passed; the other suites' figures are from the full run before it, kept as they were" : "every test passed") : "SOME TESTS FAILED — see the findings below"}); raw figures in \`test/faults/results/summary.json\`._`,
    "",
    "| figure | value |",
    "| --- | --- |",
    `| fault runs (separate processes, real brokers) | ${t.fault_runs} |`,
    `| tool calls made under faults and load | ${t.calls_made} |`,
    `| events pushed (recorded in the audit logs) | ${t.events_pushed} |`,
    `| faults injected | ${t.faults_injected} |`,
    `| events lost | ${t.events_lost} |`,
    `| duplicate verdicts seen by agents | ${t.duplicate_verdicts_seen_by_agents} |`,
    `| calls allowed by accident | ${t.allowed_by_accident} |`,
    `| fail-closed probes denied by the agent / made | ${t.fail_closed_probes_denied} / ${t.fail_closed_probes} |`,
    `| service processes that crashed | ${t.service_crashes} |`,
    `| broken promises found by the checks | ${t.broken_promises} |`,
    `| hostile inputs tried | ${t.hostile_inputs_tried} |`,
    `| … refused with a JSON error | ${t.hostile_inputs_refused_with_error} |`,
    `| … dead-lettered with a reason | ${t.hostile_inputs_dead_lettered} |`,
    `| … valid but hostile, stored exactly as sent | ${t.hostile_inputs_stored_verbatim} |`,
    `| … mishandled (a 5xx, a wrong body, no dead letter: open findings) | ${t.hostile_inputs_mishandled} |`,
    "",
    "| fault run | broker | calls | events | faults | lost | duplicates | client denials | crashes | skipped |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...s.results.faults.map(
      (f) =>
        `| ${f.name} | ${f.broker} | ${f.calls ?? "—"} | ${f.audit_entries ?? "—"} | ${f.faults_injected ?? "—"} | ${f.events_lost ?? "—"} | ${f.duplicate_verdicts_seen_by_agents ?? "—"} | ${f.client_timeouts ?? "—"} | ${f.service_crashes ?? (f.error ? "error" : "—")} | ${(f.skipped ?? []).join(", ") || "—"} |`,
    ),
    "",
    "| soak | calls/s | policy p50 / p99 | approval p50 / p99 | RSS growth (audit, policy, approvals, gateway) | lost / dup / dead letters |",
    "| --- | --- | --- | --- | --- | --- |",
    ...s.results.load.map(
      (l) =>
        `| ${l.broker}, ${l.duration_s} s, ${l.concurrency} in flight | ${l.calls_per_second} | ${l.latency_ms.policy.p50} / ${l.latency_ms.policy.p99} ms | ${l.latency_ms.approval.p50} / ${l.latency_ms.approval.p99} ms | ${["audit", "policy", "approvals", "gateway"].map((n) => `${Math.round(l.memory[n].growth * 100)} %`).join(", ")} | ${l.checks.events_lost} / ${l.checks.duplicate_verdicts_seen_by_agents} / ${l.checks.dead_letters} |`,
    ),
    "",
    "| hostile suite | tried | refused | dead-lettered | stored verbatim | mishandled |",
    "| --- | --- | --- | --- | --- | --- |",
    ...s.results.hostile.map(
      (h) =>
        `| ${h.name} | ${h.inputs_tried} | ${h.refused_with_error} | ${h.dead_lettered_with_reason} | ${h.accepted_and_stored_verbatim} | ${h.mishandled ?? 0} |`,
    ),
  ];
  return lines.join("\n");
}
