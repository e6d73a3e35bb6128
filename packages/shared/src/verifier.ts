// @airlock/shared/verifier: what a thread that checks the audit log needs — canonical JSON, the audit
// hashes and Merkle frontier, a Postgres client — without the transports, schemas and configuration the
// package's index loads (a verification worker starts in a fraction of the time).
export { canonicalize } from "./canonical-json.js";
export { ZERO_HASH, chainHash, leafHash, sameHash } from "./audit/hashes.js";
export { MerkleFrontier } from "./audit/frontier.js";
export type { Queryable, SqlClient } from "./sql/client.js";
export { PgClient } from "./sql/pg.js";
export { silentLogger } from "./lifecycle/logger.js";
