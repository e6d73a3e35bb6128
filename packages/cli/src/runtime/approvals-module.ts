import { MIGRATIONS, SCHEMA, approvalRoutes, startApprovalsService, startNotifier } from "@airlock/approvals";
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
    // Webhooks are told in their own consumer group, so a slow receiver never holds up an approval.
    const notifier = await startNotifier({ ...deps, webhooks: deps.config.AIRLOCK_WEBHOOKS }).catch(
      async (error: unknown) => {
        await service.stop();
        throw error;
      },
    );
    return {
      name: service.name,
      stop: async () => {
        await notifier.stop();
        await service.stop();
      },
      routes: [approvalRoutes({ sql: deps.sql, transport: deps.transport })],
    };
  },
};
