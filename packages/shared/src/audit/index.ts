// The audit log's cryptography, shared by the audit service (which builds it) and the client SDK (which
// checks it offline): hash chain, RFC 6962 Merkle trees, proofs and signed checkpoints. Pure: no I/O.
export * from "./hashes.js";
export * from "./merkle.js";
export * from "./frontier.js";
export * from "./proofs.js";
export * from "./checkpoint.js";
export * from "./bundle.js";
