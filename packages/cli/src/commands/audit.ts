import { readFile } from "node:fs/promises";
import { KeptCheckpointSchema, verify, type ChainReport, type KeptCheckpoint, type VerifyReport } from "@airlock/audit";
import { auditApi, verifyInclusionProof, type AuditEntry } from "@airlock/client";
import { connectSql, loadConfig, parseDuration, silentLogger, type Config } from "@airlock/shared";
import { parseOrUsage, reportApiError } from "./approvals.js";
import type { Command } from "./index.js";

const USAGE = [
  "usage: airlock audit verify [--checkpoint FILE] [--key KEY]... [--chain C] [--workers N] [--server] [--json]",
  "       airlock audit log [--subject ID] [--type T] [--agent A] [--since T] [--chain C] [--json]",
  "       airlock audit proof SEQ [--checkpoint TREE_SIZE] [--chain C] [--key KEY] [--json]",
  "",
].join("\n");

/**
 * `airlock audit verify|log|proof`. `verify` reads the database itself (DATABASE_URL) so an auditor need
 * not trust the server: exit 0 intact, 1 with the first bad seq named. `log` and `proof` use the HTTP API
 * (AIRLOCK_URL); a proof is verified here, offline, against the audit public key.
 */
export const audit: Command = {
  summary: "verify the audit log from the database (exit 1 names the first bad seq), list it, or prove an entry",
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "verify") return verifyCommand(rest);
    if (sub === "log") return logCommand(rest);
    if (sub === "proof") return proofCommand(rest);
    process.stderr.write(USAGE);
    return 2;
  },
};

async function verifyCommand(args: string[]): Promise<number> {
  const parsed = parseOrUsage(args, {
    checkpoint: { type: "string" },
    key: { type: "string", multiple: true },
    chain: { type: "string" },
    workers: { type: "string" },
    server: { type: "boolean" },
    json: { type: "boolean" },
  });
  if (!parsed || parsed.positionals.length > 0) return usage();
  const { values } = parsed;
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isSafeInteger(workers) && workers >= 0)) {
    process.stderr.write("airlock audit verify: --workers is a number of threads (0 or 1: check serially)\n");
    return 2;
  }
  const config = loadConfig(process.env);
  if (values.server) return verifyOnServer(config, values.chain, values.json === true);
  let kept: KeptCheckpoint | undefined;
  let keys: string[];
  try {
    kept = values.checkpoint === undefined ? undefined : await readKeptCheckpoint(values.checkpoint);
    keys = await Promise.all((values.key ?? []).map(readKey));
  } catch (error) {
    process.stderr.write(`airlock audit verify: ${(error as Error).message}\n`);
    return 2;
  }
  if (!config.DATABASE_URL?.startsWith("postgres") && (await answers(config.AIRLOCK_URL))) {
    process.stderr.write(
      "airlock audit verify: the embedded database belongs to the Airlock running at " +
        `${config.AIRLOCK_URL} and cannot be opened twice; stop it, use Postgres (DATABASE_URL), ` +
        "or pass --server to ask the running server (which then vouches for itself)\n",
    );
    return 2;
  }
  const sql = await connectSql(config.DATABASE_URL, { logger: silentLogger(), dataDir: config.AIRLOCK_DATA_DIR });
  try {
    const { rows } = await sql.query<{ log: string | null }>("select to_regclass('audit.log')::text as log");
    if (!rows[0]?.log) {
      process.stderr.write("airlock audit verify: this database has no audit log (schema audit is missing)\n");
      return 1;
    }
    const report = await verify(sql, {
      ...(values.chain === undefined ? {} : { chain: values.chain }),
      ...(kept ? { checkpoint: kept } : {}),
      ...(keys.length > 0 ? { publicKeys: keys } : {}),
      // Ranges of a long chain checked on every core, each thread on its own connection: Postgres only.
      ...(config.DATABASE_URL?.startsWith("postgres")
        ? { parallel: { databaseUrl: config.DATABASE_URL, ...(workers === undefined ? {} : { workers }) } }
        : {}),
    });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await sql.close();
  }
}

async function verifyOnServer(config: Config, chain: string | undefined, json: boolean): Promise<number> {
  try {
    const query = chain === undefined ? "" : `?chain=${encodeURIComponent(chain)}`;
    const response = await fetch(`${config.AIRLOCK_URL.replace(/\/$/, "")}/v1/audit/verify${query}`);
    const report = (await response.json()) as VerifyReport;
    if (!response.ok) throw new Error(`the server answered ${response.status}: ${JSON.stringify(report)}`);
    process.stdout.write(
      json
        ? `${JSON.stringify(report, null, 2)}\n`
        : `${formatReport(report)}(as verified by the server at ${config.AIRLOCK_URL})\n`,
    );
    return report.ok ? 0 : 1;
  } catch (error) {
    return reportApiError("airlock audit verify", error);
  }
}

async function logCommand(args: string[]): Promise<number> {
  const parsed = parseOrUsage(args, {
    subject: { type: "string" },
    type: { type: "string" },
    agent: { type: "string" },
    since: { type: "string" },
    chain: { type: "string" },
    json: { type: "boolean" },
  });
  if (!parsed || parsed.positionals.length > 0) return usage();
  const { values } = parsed;
  const since = values.since === undefined ? undefined : sinceTime(values.since);
  if (since === null) {
    process.stderr.write("airlock audit log: --since is an RFC 3339 time or a duration ago (15m, 2h, 7d)\n");
    return 2;
  }
  const api = auditApi({ url: loadConfig(process.env).AIRLOCK_URL });
  try {
    let listed = 0;
    const query = {
      ...(values.subject === undefined ? {} : { subject: values.subject }),
      ...(values.type === undefined ? {} : { type: values.type }),
      ...(values.agent === undefined ? {} : { agent: values.agent }),
      ...(values.chain === undefined ? {} : { chain: values.chain }),
      ...(since ? { since } : {}),
    };
    for await (const entry of api.events(query)) {
      // JSON Lines: one entry per line, written as it arrives, so an export streams in constant memory.
      process.stdout.write(values.json ? `${JSON.stringify(entry)}\n` : formatEntry(entry));
      listed++;
    }
    if (listed === 0 && !values.json) process.stdout.write("no entries\n");
    return 0;
  } catch (error) {
    return reportApiError("airlock audit log", error);
  }
}

async function proofCommand(args: string[]): Promise<number> {
  const parsed = parseOrUsage(args, {
    checkpoint: { type: "string" },
    chain: { type: "string" },
    key: { type: "string" },
    json: { type: "boolean" },
  });
  const seq = Number(parsed?.positionals[0]);
  const treeSize = parsed?.values.checkpoint === undefined ? undefined : Number(parsed.values.checkpoint);
  if (!parsed || parsed.positionals.length !== 1 || !Number.isSafeInteger(seq) || seq < 0) return usage();
  if (treeSize !== undefined && (!Number.isSafeInteger(treeSize) || treeSize < 1)) return usage();
  const { values } = parsed;
  try {
    const pinned = values.key === undefined ? undefined : await readKey(values.key);
    const api = auditApi({ url: loadConfig(process.env).AIRLOCK_URL });
    const proof = await api.proof(seq, {
      ...(values.chain === undefined ? {} : { chain: values.chain }),
      ...(treeSize === undefined ? {} : { checkpoint: treeSize }),
    });
    const key = pinned ?? proof.public_key;
    const check = key
      ? verifyInclusionProof(proof, key)
      : { ok: false as const, reason: "the server names no public key; pass --key" };
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ ...proof, verified: check.ok, key: pinned ? "pinned" : "served", ...(check.ok ? {} : { reason: check.reason }) }, null, 2)}\n`,
      );
    } else {
      const cp = proof.checkpoint;
      process.stdout.write(
        [
          `entry ${proof.seq} of chain ${proof.chain} in checkpoint ${cp.tree_size} (signed ${cp.signed_at} by key ${cp.key_id})`,
          `  leaf hash: ${proof.leaf_hash}`,
          `  root hash: ${cp.root_hash}`,
          `  path:      ${proof.path.length} hashes`,
          check.ok
            ? `  verified offline${pinned ? "" : " against the key the server sent (pass --key to pin the audit public key)"}`
            : `  NOT verified: ${check.reason}`,
          "",
        ].join("\n"),
      );
    }
    return check.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof TypeError && !/fetch failed/.test(error.message)) {
      process.stderr.write(`airlock audit proof: ${error.message}\n`);
      return 2;
    }
    return reportApiError("airlock audit proof", error);
  }
}

function formatReport(report: VerifyReport): string {
  const lines = report.chains.map(formatChain);
  if (report.chains.length === 0) lines.push("the audit log is empty");
  lines.push(
    report.trust === "pinned"
      ? `signatures checked against the key(s) given: ${report.key_ids.join(", ")}`
      : `signatures checked against the keys the database lists (${report.key_ids.join(", ") || "none"}); pass --key to pin the audit public key`,
  );
  return `${lines.join("\n")}\n`;
}

function formatChain(chain: ChainReport): string {
  if (chain.problem) {
    const { kind, seq, message } = chain.problem;
    return `chain ${chain.chain}: TAMPERED — first bad seq ${seq} (${kind}): ${message}`;
  }
  const pending = chain.unvouched > 0 ? `; ${chain.unvouched} newest entries not yet under a checkpoint` : "";
  return `chain ${chain.chain}: intact — ${chain.entries} entries, ${chain.checkpoints} checkpoints verified, root ${chain.root_hash}${pending}`;
}

function formatEntry(entry: AuditEntry): string {
  return `${String(entry.seq).padStart(6)}  ${entry.recorded_at}  ${entry.type.padEnd(28)} ${entry.subject ?? "-"}  ${entry.event_id}\n`;
}

/** An RFC 3339 time as given, a duration as that long ago, or null. */
function sinceTime(text: string): string | null {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  return Number.isNaN(Date.parse(text)) || !/^\d{4}-\d\d-\d\dT/.test(text) ? null : new Date(text).toISOString();
}

/** `ed25519:<base64>` as given, or the contents of a PEM file. */
async function readKey(value: string): Promise<string> {
  if (value.startsWith("ed25519:")) return value;
  try {
    return await readFile(value, "utf8");
  } catch (error) {
    throw new TypeError(`--key ${value}: neither ed25519:<base64> nor a readable PEM file`, { cause: error });
  }
}

/** A checkpoint saved from GET /v1/audit/checkpoints: one checkpoint, or the whole answer (its `latest`). */
async function readKeptCheckpoint(path: string): Promise<KeptCheckpoint> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`--checkpoint ${path}: not a readable JSON file`, { cause: error });
  }
  const candidate = (json as { latest?: unknown } | null)?.latest ?? json;
  const parsed = KeptCheckpointSchema.safeParse(
    candidate && typeof candidate === "object" && (candidate as { public_key?: unknown }).public_key === null
      ? { ...candidate, public_key: undefined }
      : candidate,
  );
  if (!parsed.success) throw new Error(`--checkpoint ${path}: not a signed audit checkpoint`);
  return parsed.data;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url.replace(/\/$/, "")}/healthz`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

function usage(): number {
  process.stderr.write(USAGE);
  return 2;
}
