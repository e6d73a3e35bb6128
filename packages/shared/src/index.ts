// @airlock/shared: what every service stands on. Import from here, not from deep paths.
export * from "./canonical-json.js";
export * from "./digest.js";
export * from "./ids.js";
export * from "./limits.js";
export * from "./errors.js";
export * from "./events/index.js";
export * from "./lifecycle/backoff.js";
export * from "./lifecycle/logger.js";
export * from "./transport/index.js";
export * from "./lifecycle/config.js";
export * from "./lifecycle/duration.js";
export * from "./lifecycle/shutdown.js";
export * from "./lifecycle/service.js";
export * from "./http/index.js";
export * from "./sql/index.js";
export * from "./outbox/index.js";
export * from "./votes/index.js";
