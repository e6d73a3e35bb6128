import type { FastifyPluginAsync } from "fastify";
import type { Config, RunningService, ServiceDeps } from "@airlock/shared";

/** Names of the services `airlock start --only` can run. */
export const SERVICE_NAMES = ["audit", "policy", "approvals", "gateway"] as const;
/** One of {@link SERVICE_NAMES}. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** How the runner starts one service. */
export interface ServiceModule {
  name: ServiceName;
  /** Its schema and migrations folder, applied before it starts; none for the stateless gateway. */
  migrations?: { schema: string; directory: URL };
  /** Its own HTTP port (`/healthz`, `/readyz`, `/metrics` and its routes) when it runs alone. */
  port(config: Config): number;
  /** Start consuming. */
  start(deps: ServiceDeps, context: RunContext): Promise<RunningService & { routes?: FastifyPluginAsync[] }>;
}

/** What the runner knows that services may need beyond their deps. */
export interface RunContext {
  /** Set when every service runs in this process (the embedded default). */
  allInOne: boolean;
  /** Policy file (AIRLOCK_POLICY, or the embedded default). */
  policyPath: string | undefined;
  /** Reviewers file (AIRLOCK_REVIEWERS, or the embedded default). */
  reviewersPath: string | undefined;
}
