// `npm run bench [-- NAME...]`: runs the benchmarks, writes bench/results/<time>.json and BENCHMARKS.md.
// Benchmarks measure; they never pass or fail. Each compares with a baseline measured in the same run.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toMarkdown, type BenchResult } from "./lib/result.js";
import { runApprovalsBench } from "./approvals/run.js";
import { runAuditBench } from "./audit/run.js";
import { runE2eBench } from "./e2e/run.js";
import { runPolicyBench } from "./policy/run.js";
import { runSoak } from "./soak/run.js";
import { runTransportBench } from "./transport/echo.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Brokers to measure: every one that answers on this machine, or those named in BENCH_BROKERS. */
function brokers(): Record<string, string> {
  const all: Record<string, string> = {
    memory: "memory://bench",
    amqp: process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
    kafka: process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092",
  };
  const only = process.env["BENCH_BROKERS"]?.split(",");
  return only ? Object.fromEntries(Object.entries(all).filter(([name]) => only.includes(name))) : all;
}

/** Every benchmark, by name. */
const BENCHES: Record<string, () => Promise<BenchResult>> = {
  transport: () => runTransportBench({ brokers: brokers(), roundTrips: 2000, burst: 2000 }),
  policy: () => runPolicyBench(),
  audit: () => runAuditBench(),
  approvals: () => runApprovalsBench(),
  e2e: () => runE2eBench({ brokers: brokers(), calls: 1000, burst: 1000 }),
  // Not in the default run (a minute of load): `npm run bench -- soak`.
  soak: () => runSoak(),
};

async function main(names: string[]): Promise<void> {
  const selected = names.length > 0 ? names : Object.keys(BENCHES).filter((name) => name !== "soak");
  const results: BenchResult[] = [];
  for (const name of selected) {
    const bench = BENCHES[name];
    if (!bench) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
    console.log(`bench: ${name}…`);
    const result = await bench();
    console.log(toMarkdown(result) + "\n");
    results.push(result);
  }
  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  const at = new Date().toISOString();
  await mkdir(path.join(root, "bench", "results"), { recursive: true });
  const record = JSON.stringify({ at, machine, results }, null, 2) + "\n";
  await writeFile(path.join(root, "bench", "results", `${at.replace(/[:.]/g, "-")}.json`), record);
  await writeFile(path.join(root, "bench", "results", "latest.json"), record);
  await updateBenchmarksMd(results, at, machine);
}

/** Replace each benchmark's section of BENCHMARKS.md (between its markers), keeping the rest. */
async function updateBenchmarksMd(results: BenchResult[], at: string, machine: Record<string, unknown>): Promise<void> {
  const file = path.join(root, "BENCHMARKS.md");
  let text = await readFile(file, "utf8").catch(
    () => "# Benchmarks\n\n`npm run bench` writes this file and `bench/results/`.\n",
  );
  for (const result of results) {
    const begin = `<!-- bench:${result.name} -->`;
    const end = `<!-- /bench:${result.name} -->`;
    const section = `${begin}\n${toMarkdown(result)}\n\n_Measured ${at} on ${JSON.stringify(machine)}._\n${end}`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    text =
      from >= 0 && to > from
        ? text.slice(0, from) + section + text.slice(to + end.length)
        : `${text.trimEnd()}\n\n${section}\n`;
  }
  await writeFile(file, text);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
