import {
  connectSql,
  createMetrics,
  createTransport,
  metricsObserver,
  redactUrl,
  type AirlockMetrics,
  type Config,
  type Logger,
  type SqlClient,
  type Transport,
} from "@airlock/shared";

/** The connections one Airlock process shares between the services it runs. */
export interface Infrastructure {
  sql: SqlClient;
  transport: Transport;
  metrics: AirlockMetrics;
  /** Close the transport, then the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open the database and the broker named by the configuration (PGlite under AIRLOCK_DATA_DIR and
 * memory:// when nothing is set). A broker or database that does not answer fails the start with its cause.
 */
export async function openInfrastructure(config: Config, logger: Logger, clientId: string): Promise<Infrastructure> {
  const metrics = createMetrics({ defaults: true });
  const sql = await connectSql(config.DATABASE_URL, {
    logger,
    dataDir: config.AIRLOCK_DATA_DIR,
    applicationName: clientId,
  });
  let transport: Transport;
  try {
    transport = await createTransport(config.AIRLOCK_BROKER, {
      logger,
      clientId,
      observer: metricsObserver(metrics),
      ...(config.AIRLOCK_NAMESPACE ? { namespace: config.AIRLOCK_NAMESPACE } : {}),
    });
    await transport.start();
  } catch (error) {
    await sql.close();
    throw new Error(`cannot reach the broker at ${redactUrl(config.AIRLOCK_BROKER)}`, { cause: error });
  }
  logger.info({ broker: redactUrl(config.AIRLOCK_BROKER), database: sql.kind }, "connected");
  let closing: Promise<void> | undefined;
  return {
    sql,
    transport,
    metrics,
    close: () =>
      (closing ??= (async () => {
        try {
          await transport.close();
        } finally {
          await sql.close();
        }
      })()),
  };
}
