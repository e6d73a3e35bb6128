// The runtime behind `airlock start`, for tests and embedders: run every service (or one) in this process.
export { runAirlock, type RunOptions, type RunningAirlock } from "./run.js";
export { prepareEmbedded, DEMO_REVIEWERS } from "./embedded.js";
export { SERVICE_NAMES, type ServiceName } from "./services.js";
