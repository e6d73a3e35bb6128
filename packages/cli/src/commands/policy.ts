import { readFile } from "node:fs/promises";
import {
  completeCall,
  decide,
  formatPolicyError,
  loadPolicy,
  parseCases,
  parseSource,
  runCases,
  unguardedComparisons,
  type CaseResult,
  type CompiledPolicy,
  type PolicyError,
} from "@airlock/policy";
import { parseOrUsage } from "./approvals.js";
import type { Command } from "./index.js";

// `airlock policy check|eval|test`: offline — they read files and never talk to a broker or database.

const USAGE = `usage: airlock policy check FILE [--json]
       airlock policy eval FILE EVENT [--run-calls N] [--json]     (EVENT: a JSON file, or - for stdin)
       airlock policy test FILE CASES [--json]
`;

/** `airlock policy …`: validate a policy, decide one call with it, or run a table of cases against it. */
export const policy: Command = {
  summary: "check FILE | eval FILE EVENT | test FILE CASES: validate a policy, decide a call, run test cases",
  async run(args) {
    const [sub, ...rest] = args;
    const parsed = parseOrUsage(rest, { json: { type: "boolean" }, "run-calls": { type: "string" } });
    if (!parsed) return usage();
    const json = parsed.values.json === true;
    const files = parsed.positionals;
    switch (sub) {
      case "check":
        return files.length === 1 ? check(files[0]!, json) : usage();
      case "eval": {
        const runCalls = parsed.values["run-calls"] === undefined ? 1 : Number(parsed.values["run-calls"]);
        if (files.length !== 2 || !Number.isInteger(runCalls) || runCalls < 1) return usage();
        return evaluate(files[0]!, files[1]!, runCalls, json);
      }
      case "test":
        return files.length === 2 ? test(files[0]!, files[1]!, json) : usage();
      default:
        return usage();
    }
  },
};

function usage(): number {
  process.stderr.write(USAGE);
  return 2;
}

/** A file's text; `-` is stdin. Undefined (with the reason on stderr) when it cannot be read. */
async function readText(file: string): Promise<string | undefined> {
  try {
    if (file !== "-") return await readFile(file, "utf8");
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  } catch (error) {
    process.stderr.write(`airlock policy: cannot read ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
}

function printErrors(file: string, errors: readonly PolicyError[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, errors: errors.map((error) => ({ file, ...error })) })}\n`);
  } else {
    for (const error of errors) process.stderr.write(`${formatPolicyError(file, error)}\n`);
  }
}

/** Load a policy file, printing its errors when it is invalid. */
async function load(file: string, json: boolean): Promise<CompiledPolicy | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  const loaded = loadPolicy(text);
  if (loaded.ok) return loaded.policy;
  printErrors(file, loaded.errors, json);
  return undefined;
}

async function check(file: string, json: boolean): Promise<number> {
  const compiled = await load(file, json);
  if (!compiled) return 1;
  const { name, version } = compiled.identity;
  // Warnings, not errors: an unguarded restrictive comparison still fails closed (it applies when it
  // cannot decide), but the author most likely wants a schema to refuse such a call with a clear reason.
  const warnings = unguardedComparisons(compiled);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: true, name, version, rules: compiled.rules.length, warnings })}\n`);
    return 0;
  }
  for (const warning of warnings) process.stderr.write(`${file}: warning: rule ${warning.rule}: ${warning.message}\n`);
  const warned = warnings.length === 0 ? "" : `, ${warnings.length} warning${warnings.length === 1 ? "" : "s"}`;
  process.stdout.write(`${file}: ok — policy "${name}", ${compiled.rules.length} rules, version ${version}${warned}\n`);
  return 0;
}

async function evaluate(file: string, eventFile: string, runCalls: number, json: boolean): Promise<number> {
  const compiled = await load(file, json);
  if (!compiled) return 1;
  const text = await readText(eventFile);
  if (text === undefined) return 1;
  const source = parseSource(text);
  if (!source.ok) {
    printErrors(eventFile, source.errors, json);
    return 1;
  }
  const completed = completeCall(source.value);
  if (!completed.ok) {
    printErrors(eventFile, completed.issues.map(source.locate), json);
    return 1;
  }
  const decision = decide(compiled, completed.call, { runCalls });
  process.stdout.write(`${json ? JSON.stringify(decision) : JSON.stringify(decision, null, 2)}\n`);
  return 0;
}

async function test(file: string, casesFile: string, json: boolean): Promise<number> {
  const compiled = await load(file, json);
  if (!compiled) return 1;
  const text = await readText(casesFile);
  if (text === undefined) return 1;
  const cases = parseCases(text);
  if (!cases.ok) {
    printErrors(casesFile, cases.errors, json);
    return 1;
  }
  const results = runCases(compiled, cases.cases);
  const failed = results.filter((result) => !result.pass).length;
  if (json) {
    process.stdout.write(`${JSON.stringify({ passed: results.length - failed, failed, results })}\n`);
  } else {
    process.stdout.write(table(results));
    process.stdout.write(`\n${results.length - failed} passed, ${failed} failed\n`);
  }
  return failed === 0 ? 0 : 1;
}

const describeRule = (rule: string | null | undefined) => (rule === null ? "defaults" : (rule ?? "any rule"));

/** One line per case: PASS/FAIL, its name, what it got — and for a failure, what it expected. */
function table(results: readonly CaseResult[]): string {
  const width = Math.min(60, Math.max(4, ...results.map((result) => result.name.length)));
  return results
    .map(({ name, pass, expect, decision }) => {
      const got = `${decision.action} (${describeRule(decision.rule)})`;
      const detail = pass
        ? got
        : `expected ${expect.action} (${describeRule(expect.rule)}), got ${got}: ${decision.reason}`;
      return `${pass ? "PASS" : "FAIL"}  ${name.padEnd(width)}  ${detail}\n`;
    })
    .join("");
}
