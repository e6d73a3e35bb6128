// @airlock/client: what agents and reviewer tools import.
export * from "./agent/index.js";
export * from "./reviewer/index.js";
export * from "./audit/index.js";
