// Test support for the approvals service: a deployment under test, and the calls a test makes on it.
export * from "./deployment.js";
export * from "./calls.js";
