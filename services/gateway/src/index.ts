// @airlock/gateway: the stateless HTTP edge (DESIGN.md, "HTTP API").
export * from "./gateway.js";
export * from "./verdicts.js";
export * from "./routes/tool-calls.js";
export * from "./call-status.js";
