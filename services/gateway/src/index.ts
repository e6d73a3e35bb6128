// @airlock/gateway: the stateless HTTP edge (DESIGN.md, "HTTP API").
export * from "./gateway.js";
export * from "./verdicts.js";
export * from "./routes/tool-calls.js";
export * from "./call-status.js";
export {
  consoleRoutes,
  APPROVAL_EVENTS_PATH,
  STREAM_LIMITS,
  type ConsoleDeps,
  type ApprovalChange,
} from "./console/index.js";
