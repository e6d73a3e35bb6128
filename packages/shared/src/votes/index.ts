export * from "./keys.js";
export * from "./key-files.js";
export * from "./signature.js";
export * from "./reviewers-file.js";
