// The approvals core: pure decisions over values. No I/O, no clock, no ids — all passed in.
export * from "./types.js";
export * from "./requirement.js";
export * from "./tally.js";
export * from "./lifecycle.js";
export * from "./vote.js";
