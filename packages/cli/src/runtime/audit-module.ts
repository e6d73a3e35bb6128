import { MIGRATIONS, auditRoutes, startAuditService } from "@airlock/audit";
import type { ServiceModule } from "./services.js";

/** The audit service: the hash-chained log of every event; serves /v1/audit. */
export const auditModule: ServiceModule = {
  name: "audit",
  migrations: { schema: "audit", directory: MIGRATIONS },
  port: (config) => config.AIRLOCK_AUDIT_PORT,
  start: async (deps) => {
    const service = await startAuditService(deps);
    return { name: service.name, stop: () => service.stop(), routes: [auditRoutes({ sql: deps.sql })] };
  },
};
