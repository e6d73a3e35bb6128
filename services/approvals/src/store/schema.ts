/** The Postgres schema holding the approvals service's tables (migrations/0001_init.sql). */
export const SCHEMA = "approvals";
