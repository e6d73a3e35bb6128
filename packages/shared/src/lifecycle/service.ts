import type { SqlClient } from "../sql/client.js";
import type { Transport } from "../transport/transport.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { AirlockMetrics } from "../http/metrics.js";

/**
 * What a service is given by whoever runs it: `airlock start` (every service in one process) or the
 * service's own main. The runner owns these connections; a service never opens or closes them.
 */
export interface ServiceDeps {
  config: Config;
  /** Started transport. */
  transport: Transport;
  /** Database with the service's migrations applied. */
  sql: SqlClient;
  logger: Logger;
  metrics: AirlockMetrics;
}

/** A running service: its consumers are subscribed and its timers armed. */
export interface RunningService {
  readonly name: string;
  /**
   * Stop consuming and wait for in-flight work to settle. Idempotent: a second call returns the first
   * call's promise. Does not close the shared transport or database.
   */
  stop(): Promise<void>;
}

/** Wraps a stop function so that calling it twice returns the first call's promise (an alias of `once`). */
export { once as stopOnce } from "./shutdown.js";
