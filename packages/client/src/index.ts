// @airlock/client: what agents and reviewer tools import.
export * from "./agent/index.js";
