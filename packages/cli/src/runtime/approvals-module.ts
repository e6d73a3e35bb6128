import { MIGRATIONS, SCHEMA, approvalRoutes, startApprovalsService } from "@airlock/approvals";
import { ConfigError, loadReviewersFile } from "@airlock/shared";
import type { ServiceModule } from "./services.js";

/** The approvals service: M-of-N state, votes, expiry; serves /v1/approvals. */
export const approvalsModule: ServiceModule = {
  name: "approvals",
  migrations: { schema: SCHEMA, directory: MIGRATIONS },
  port: (config) => config.AIRLOCK_APPROVALS_PORT,
  start: async (deps, context) => {
    if (!context.reviewersPath)
      throw new ConfigError("AIRLOCK_REVIEWERS: the approvals service needs the reviewers file");
    const reviewers = await loadReviewersFile(context.reviewersPath);
    const service = await startApprovalsService({ ...deps, reviewers });
    return {
      name: service.name,
      stop: () => service.stop(),
      routes: [approvalRoutes({ sql: deps.sql, transport: deps.transport })],
    };
  },
};
