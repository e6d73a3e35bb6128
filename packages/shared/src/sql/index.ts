export * from "./client.js";
export * from "./errors.js";
export * from "./pg.js";
export * from "./pglite.js";
export * from "./connect.js";
export * from "./migrate.js";
