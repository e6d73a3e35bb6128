export * from "./store.js";
export * from "./relay.js";
