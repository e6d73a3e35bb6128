import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { createHttpServer, migrate, once, type Config, type Logger, type RunningService } from "@airlock/shared";
import { openInfrastructure } from "./infrastructure.js";
import { MODULES } from "./modules.js";
import { SERVICE_NAMES, type RunContext, type ServiceName } from "./services.js";

/** Options of {@link runAirlock}. */
export interface RunOptions {
  config: Config;
  logger: Logger;
  /** Run one service alone (a distributed deployment); default: all of them in this process. */
  only?: ServiceName;
  policyPath?: string;
  reviewersPath?: string;
}

/** A running Airlock process. */
export interface RunningAirlock {
  /** The HTTP API's base URL. */
  url: string;
  services: readonly string[];
  /** Stop the HTTP server, then the services (last started, first stopped), then the connections. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Run Airlock: open the database and broker, migrate and start the services, serve HTTP. With `only`,
 * one service on its own port; otherwise all of them behind one API on AIRLOCK_HTTP_PORT.
 */
export async function runAirlock(options: RunOptions): Promise<RunningAirlock> {
  const { config, logger } = options;
  const names = options.only ? [options.only] : [...SERVICE_NAMES];
  const infra = await openInfrastructure(config, logger, options.only ? `airlock-${options.only}` : "airlock");
  const started: RunningService[] = [];
  let server: FastifyInstance | undefined;
  const stop = once(async () => {
    // Each cleanup in its own try: one failing must not leave the others running.
    const failures: unknown[] = [];
    if (server) await server.close().catch((error: unknown) => failures.push(error));
    for (const service of [...started].reverse()) await service.stop().catch((error: unknown) => failures.push(error));
    await infra.close().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, "stopping Airlock failed");
  });
  try {
    const context: RunContext = {
      allInOne: options.only === undefined,
      policyPath: options.policyPath ?? config.AIRLOCK_POLICY,
      reviewersPath: options.reviewersPath ?? config.AIRLOCK_REVIEWERS,
    };
    const routes: FastifyPluginAsync[] = [];
    for (const name of names) {
      const module = MODULES[name];
      if (module.migrations) await migrate(infra.sql, { ...module.migrations, logger });
      const service = await module.start(
        {
          config,
          transport: infra.transport,
          sql: infra.sql,
          logger: logger.child({ service: name }),
          metrics: infra.metrics,
        },
        context,
      );
      started.push(service);
      routes.push(...(service.routes ?? []));
    }
    server = await createHttpServer({
      logger,
      metrics: infra.metrics,
      routes,
      readiness: {
        database: async () => {
          await infra.sql.query("select 1");
        },
        broker: () => Promise.resolve(infra.transport.isConnected()),
      },
    });
    const port = options.only ? MODULES[options.only].port(config) : config.AIRLOCK_HTTP_PORT;
    const address = await server.listen({ host: config.AIRLOCK_HTTP_HOST, port });
    logger.info({ url: address, services: names }, "Airlock is running");
    return { url: address, services: names, stop };
  } catch (error) {
    await stop().catch((stopError: unknown) => logger.error({ err: stopError }, "cleanup after a failed start failed"));
    throw error;
  }
}
