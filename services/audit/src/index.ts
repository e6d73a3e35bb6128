// @airlock/audit: the hash-chained audit log, signed Merkle checkpoints, proofs and the verifier.
export { startAuditService, AUDIT_GROUP, AUDITED_TOPICS } from "./service.js";
export type { AuditServiceDeps, RunningAuditService } from "./service.js";
export { auditRoutes } from "./http.js";
export { DEFAULT_CHAIN } from "./core/entry.js";
export type { AuditRoutesDeps } from "./http.js";
export { verify, KeptCheckpointSchema } from "./verify/verify.js";
export type { VerifyOptions, VerifyReport, ChainReport, KeptCheckpoint } from "./verify/verify.js";
export type { Problem, ProblemKind } from "./core/problem.js";
export { inclusionProof, consistencyProof } from "./proofs.js";
export { writeCheckpoint, SUBTREE_CACHE_LEVEL } from "./checkpoint-writer.js";
export { loadOrCreateSigningKey, signerFromKey, SIGNING_KEY_FILE } from "./signing-key.js";
export type { AuditSigner } from "./signing-key.js";
export type { ChainOf } from "./handlers/record-event.js";

/** The audit service's migrations folder (schema `audit`). */
export const MIGRATIONS = new URL("../migrations/", import.meta.url);
export { appendEvents, appendEntries } from "./store/append.js";
export { ChainAppender } from "./chain-appender.js";
export { prepareEntry } from "./core/entry.js";
export type { PreparedEntry } from "./core/entry.js";
export type { ChainAppend } from "./store/append.js";
/** The log's multi-row INSERT and its parameters: benchmarks run the same statement against a plain table. */
export { insertEntriesSql, insertEntriesParams } from "./store/log.js";
export type { NewEntry } from "./core/entry.js";
export { CHECKPOINT_STATE_FILE, CheckpointState } from "./checkpoint-state.js";
