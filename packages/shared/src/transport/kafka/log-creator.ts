import { logLevel, type logCreator } from "kafkajs";
import type { Logger } from "../../lifecycle/logger.js";

/** The kafkajs level that lets through what `logger` prints, so kafkajs does not build lines pino would drop. */
export function kafkaLogLevel(logger: Logger): logLevel {
  if (logger.isLevelEnabled("debug")) return logLevel.DEBUG;
  if (logger.isLevelEnabled("info")) return logLevel.INFO;
  if (logger.isLevelEnabled("warn")) return logLevel.WARN;
  if (logger.isLevelEnabled("error")) return logLevel.ERROR;
  return logLevel.NOTHING;
}

/**
 * Routes kafkajs's own log lines to pino: ERROR → error, WARN → warn, INFO → info, DEBUG → debug. The kafkajs
 * namespace (Consumer, Runner, Connection …) becomes `component`; its extra fields (groupId, error, stack …)
 * are kept; its timestamp and logger name are dropped, pino has both. One exception: kafkajs logs every error
 * answer from the broker at ERROR (a fresh topic answers NOT_LEADER_FOR_PARTITION for a moment, a rebalancing
 * group REBALANCE_IN_PROGRESS), though it retries most of them; those go to warn, and a request that finally
 * fails reaches its caller as an error.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  return () => (entry) => {
    const { message, timestamp: _timestamp, logger: _name, ...extra } = entry.log as Record<string, unknown>;
    const fields = { component: entry.namespace, ...extra };
    const text = typeof message === "string" ? message : String(message);
    switch (errorResponse(entry.namespace, text) ? logLevel.WARN : entry.level) {
      case logLevel.ERROR:
        logger.error(fields, text);
        break;
      case logLevel.WARN:
        logger.warn(fields, text);
        break;
      case logLevel.INFO:
        logger.info(fields, text);
        break;
      default:
        logger.debug(fields, text);
    }
  };
}

function errorResponse(namespace: string, message: string): boolean {
  return namespace === "Connection" && message.startsWith("Response ");
}
