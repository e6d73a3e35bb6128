// The reviewer SDK: sign votes with a reviewer's key and deliver them, over the broker or the HTTP API.
export * from "./identity.js";
export * from "./publish.js";
export * from "./api.js";
