// Auditors' side of the audit log: check proofs and checkpoints offline with nothing but the audit
// service's public key (the pure functions live in @airlock/shared, shared with the service that builds
// them), and read the log over the HTTP API.
export {
  InclusionProofSchema,
  ConsistencyProofSchema,
  verifyInclusionProof,
  verifyConsistencyProof,
  checkCheckpointSignature,
  verifyCheckpointSignature,
  checkpointSigningBytes,
  parseAuditPublicKey,
  auditKeyId,
  verifyInclusion,
  verifyConsistency,
  leafHash,
  nodeHash,
  chainHash,
  treeHash,
  MerkleFrontier,
  ZERO_HASH,
} from "@airlock/shared";
export type {
  InclusionProof,
  ConsistencyProof,
  ProofCheck,
  SignedCheckpoint,
  UnsignedCheckpoint,
  SignatureCheck,
} from "@airlock/shared";
export * from "./api.js";
