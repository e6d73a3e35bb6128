export * from "./call.js";
export * from "./client.js";
export * from "./verdict.js";
export * from "./waiter.js";
export * from "./broker-client.js";
export * from "./http-client.js";
export * from "./connect.js";
export * from "./guard.js";
