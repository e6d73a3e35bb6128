import { startGateway } from "@airlock/gateway";
import type { ServiceModule } from "./services.js";

/** The stateless HTTP edge: tool-call submission and verdict waiting; reads through the services' stores. */
export const gatewayModule: ServiceModule = {
  name: "gateway",
  port: (config) => config.AIRLOCK_HTTP_PORT,
  start: (deps) => startGateway(deps),
};
