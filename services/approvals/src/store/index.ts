// The only code that knows the approvals tables.
export * from "./schema.js";
export * from "./requests.js";
export * from "./votes.js";
export * from "./processed.js";
export * from "./snapshot.js";
