import { MIGRATIONS, startPolicyService } from "@airlock/policy";
import { ConfigError } from "@airlock/shared";
import type { ServiceModule } from "./services.js";

/** The policy service: decides each tool call; no HTTP routes of its own. */
export const policyModule: ServiceModule = {
  name: "policy",
  migrations: { schema: "policy", directory: MIGRATIONS },
  port: (config) => config.AIRLOCK_POLICY_PORT,
  start: (deps, context) => {
    if (!context.policyPath) throw new ConfigError("AIRLOCK_POLICY: the policy service needs a policy file");
    return startPolicyService({ ...deps, policyPath: context.policyPath });
  },
};
