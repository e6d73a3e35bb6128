export * from "./adapter.js";
export * from "./transport.js";
export * from "./memory.js";
export * from "./connect.js";
