export * from "./topics.js";
export * from "./data.js";
export * from "./registry.js";
export * from "./envelope.js";
export * from "./reply-to.js";
