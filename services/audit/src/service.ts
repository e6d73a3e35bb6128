import type { KeyObject } from "node:crypto";
import { CONSUMER_GROUPS, startOutboxRelay, stopOnce, type RunningService, type ServiceDeps } from "@airlock/shared";
import { AppendBatcher } from "./batcher.js";
import { Checkpointer } from "./checkpointer.js";
import { recordEvent, type ChainOf } from "./handlers/record-event.js";
import { DEFAULT_CHAIN } from "./core/entry.js";
import { loadOrCreateSigningKey, signerFromKey, type AuditSigner } from "./signing-key.js";
import { registerKey } from "./store/checkpoints.js";

/** The consumer group of the audit service: every instance shares it, so each event is recorded by one. */
export const AUDIT_GROUP = CONSUMER_GROUPS.audit.group;

/**
 * Every topic but `airlock.audit`: the service's own checkpoints are already in audit.checkpoints,
 * signed; appending them too would make each checkpoint a new entry, so the log would never be fully
 * checkpointed and the interval timer would sign a fresh checkpoint forever on an idle log.
 */
export const AUDITED_TOPICS: readonly string[] = CONSUMER_GROUPS.audit.topics;

/** What the audit service needs beyond the common dependencies. */
export interface AuditServiceDeps extends ServiceDeps {
  /** The checkpoint signing key; default `<AIRLOCK_DATA_DIR>/audit-key.pem`, generated on first start. */
  signingKey?: KeyObject;
  /** Which chain an event goes to; default one chain, "main" (see DESIGN.md: one chain per partition to scale). */
  chainOf?: ChainOf;
  /**
   * Batching of appends: at most `maxSize` events per transaction; the first waits at most `maxDelayMs`
   * for company. Default 256 and 10 ms (DEFAULT_APPEND_DELAY_MS says why so short).
   */
  batch?: { maxSize?: number; maxDelayMs?: number };
}

/**
 * How long an event waits for company before its batch commits, by default. Events of one call arrive a
 * few milliseconds apart (call, decision, verdict); committing each on its own costs a transaction and
 * a WAL flush apiece on the database the policy service decides on, which slows every decision down (see
 * BENCHMARKS.md, e2e). A short wait folds them into one commit. Under load batches fill before it runs
 * out, and nothing on a call's path waits for the audit log.
 */
const DEFAULT_APPEND_DELAY_MS = 10;

/** A running audit service, with what tests and the runner may want to know. */
export interface RunningAuditService extends RunningService {
  readonly signer: AuditSigner;
  /** Sign a checkpoint over whatever is new now, in every chain (tests; `airlock start` at shutdown does this anyway). */
  checkpointNow(): Promise<void>;
}

/**
 * Start the audit service: record every event on every topic (consumer group "audit") in the hash
 * chain, batched and exactly once, sign checkpoints every AIRLOCK_CHECKPOINT_EVERY entries or
 * AIRLOCK_CHECKPOINT_INTERVAL, and publish them through the outbox. `stop` stops consuming, commits the
 * batch in flight, signs a last checkpoint and publishes it.
 */
export async function startAuditService(deps: AuditServiceDeps): Promise<RunningAuditService> {
  const { config, sql, transport, metrics } = deps;
  const log = deps.logger.child({ service: "audit" });
  const signer = await resolveSigner(deps, log);
  await registerKey(sql, { key_id: signer.keyId, public_key: signer.publicKeyText });
  log.info({ key_id: signer.keyId, public_key: signer.publicKeyText }, "audit checkpoints are signed with this key");

  const relay = startOutboxRelay({ sql, transport, schema: "audit", logger: log });
  const checkpointer = new Checkpointer({
    sql,
    signer,
    logger: log,
    every: config.AIRLOCK_CHECKPOINT_EVERY,
    intervalMs: config.AIRLOCK_CHECKPOINT_INTERVAL,
    onCheckpoint: () => relay.kick(),
    // Beside the key it signs with: what it signed last, which the database cannot rewrite. A key handed
    // in (tests) has no directory; its state lives as long as the process.
    ...(deps.signingKey ? {} : { stateDir: config.AIRLOCK_DATA_DIR }),
  });
  await checkpointer.start();
  const maxSize = deps.batch?.maxSize ?? 256;
  const batcher = new AppendBatcher({
    sql,
    logger: log,
    maxSize,
    maxDelayMs: deps.batch?.maxDelayMs ?? DEFAULT_APPEND_DELAY_MS,
    onCommitted: (chain, head) => checkpointer.noteAppended(chain, head.nextSeq),
  });
  const chainOf = deps.chainOf ?? (() => DEFAULT_CHAIN);
  const subscription = await transport.subscribe({
    group: AUDIT_GROUP,
    topics: AUDITED_TOPICS,
    handler: recordEvent({ batcher, chainOf, group: AUDIT_GROUP, metrics, logger: log }),
    // A member holds at most `prefetch` events, so this is also the largest batch the transport can fill.
    prefetch: maxSize,
    // The batcher keeps arrival order itself; handing over one event per key at a time would let a busy
    // agent's events into a batch only one by one, each waiting out maxDelayMs.
    ordered: false,
    // No agent waits on the audit log: its events come ten times a second, not beside every call's.
    background: true,
  });
  log.info({ topics: AUDITED_TOPICS, group: AUDIT_GROUP }, "audit service started");

  const stop = stopOnce(async () => {
    // Closing waits for the handlers in flight, which wait for their batch: commit it now, not after the delay.
    const closing = subscription.close();
    await batcher.close();
    await closing;
    await checkpointer.stop();
    await relay.stop();
    log.info("audit service stopped");
  });
  return {
    name: "audit",
    signer,
    stop,
    checkpointNow: async () => {
      await batcher.flush();
      checkpointer.request();
      await checkpointer.idle();
      relay.kick();
      await relay.drained();
    },
  };
}

async function resolveSigner(deps: AuditServiceDeps, log: ServiceDeps["logger"]): Promise<AuditSigner> {
  if (deps.signingKey) return signerFromKey(deps.signingKey);
  const { signer, path, created } = await loadOrCreateSigningKey(deps.config.AIRLOCK_DATA_DIR);
  if (created)
    log.warn(
      { path, key_id: signer.keyId },
      "generated a new audit signing key; keep it safe and give auditors its public key",
    );
  return signer;
}
