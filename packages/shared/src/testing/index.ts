// Test support, imported as "@airlock/shared/testing" — never from production code.
export * from "./database.js";
export * from "./ports.js";
export * from "./rabbitmq.js";
export * from "./wait.js";
export * from "./kafka.js";
export * from "./tidy.js";
