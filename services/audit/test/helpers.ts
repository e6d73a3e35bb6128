import { generateKeyPairSync } from "node:crypto";
import {
  actionDigest,
  createEvent,
  loadConfig,
  migrate,
  newId,
  type AirlockEvent,
  type Config,
  type Queryable,
  type SqlClient,
} from "@airlock/shared";
import { MIGRATIONS, signerFromKey, writeCheckpoint, type AuditSigner } from "../src/index.js";
import { prepareEntry } from "../src/core/entry.js";
import { appendEntries } from "../src/store/append.js";
import { registerKey } from "../src/store/checkpoints.js";

/** Apply the audit migrations. */
export async function migrateAudit(sql: SqlClient): Promise<void> {
  await migrate(sql, { schema: "audit", directory: MIGRATIONS });
}

/** A fresh signer (a new Ed25519 key). */
export function newSigner(): AuditSigner {
  return signerFromKey(generateKeyPairSync("ed25519").privateKey);
}

/** A valid tool call from `agent`, with a unique subject. */
export function toolCall(agent = "agent-1", n = 0): AirlockEvent {
  const call = { agent_id: agent, tool: "payments.transfer", args: { amount: n, note: `transfer ${n}` } };
  return createEvent({
    type: "airlock.tool_call.requested",
    source: `agent/${agent}`,
    subject: newId(),
    data: { ...call, call_id: newId(), run_id: "run-1", action_digest: actionDigest(call) },
  });
}

/** Append events to a chain directly through the store (no transport). */
export async function append(sql: SqlClient, events: readonly AirlockEvent[], chain = "main"): Promise<void> {
  await appendEntries(sql, new Map([[chain, events.map((event) => prepareEntry(event))]]));
}

/** Append `count` tool calls, checkpointing after each `every`. */
export async function fillLog(
  sql: SqlClient,
  signer: AuditSigner,
  options: { count: number; every: number; chain?: string },
): Promise<void> {
  const chain = options.chain ?? "main";
  await registerKey(sql, { key_id: signer.keyId, public_key: signer.publicKeyText });
  for (let done = 0; done < options.count; done += options.every) {
    const n = Math.min(options.every, options.count - done);
    await append(
      sql,
      Array.from({ length: n }, (_, i) => toolCall(`agent-${(done + i) % 3}`, done + i)),
      chain,
    );
    await writeCheckpoint(sql, { chain, signer, now: new Date() });
  }
}

/**
 * Run statements as a superuser with triggers off (session_replication_role = replica): what an
 * attacker with full database access can do, and what the append-only triggers cannot stop.
 */
export async function asSuperuser(sql: SqlClient, fn: (tx: Queryable) => Promise<void>): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query("set local session_replication_role = replica");
    await fn(tx);
  });
}

/** A configuration for tests: defaults plus the given variables. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ AIRLOCK_DATA_DIR: "/nonexistent-audit-test-dir", ...env });
}
