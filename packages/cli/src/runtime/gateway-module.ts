import { approvalRoutes } from "@airlock/approvals";
import { auditRoutes } from "@airlock/audit";
import { startGateway } from "@airlock/gateway";
import type { ServiceModule } from "./services.js";

/**
 * The stateless HTTP edge: tool-call submission and verdict waiting. Run alone, it also serves the
 * approvals and audit read APIs from their stores, so one URL offers DESIGN.md's whole HTTP API.
 */
export const gatewayModule: ServiceModule = {
  name: "gateway",
  port: (config) => config.AIRLOCK_HTTP_PORT,
  start: async (deps, context) => {
    const gateway = await startGateway(deps);
    if (context.allInOne) return gateway;
    return {
      ...gateway,
      stop: () => gateway.stop(),
      routes: [
        ...gateway.routes,
        approvalRoutes({ sql: deps.sql, transport: deps.transport }),
        auditRoutes({ sql: deps.sql }),
      ],
    };
  },
};
