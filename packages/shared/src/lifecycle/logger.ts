import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/** Paths whose values never reach a log line: keys, signatures, passwords in URLs, auth headers. */
export const DEFAULT_REDACT = [
  "*.password",
  "*.private_key",
  "*.privateKey",
  "*.secret",
  "*.token",
  "*.signature",
  "req.headers.authorization",
  "config.databaseUrl",
  "config.broker",
  "config.AIRLOCK_WEBHOOK_SECRET",
  "config.DATABASE_URL",
];

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  level?: string;
  /** Extra paths to redact, on top of {@link DEFAULT_REDACT}. */
  redact?: string[];
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
  name?: string;
}

/** The one root logger of a process. Services take `logger.child({ service, module })`. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: options.name ?? "airlock",
    level: options.level ?? "info",
    redact: { paths: [...DEFAULT_REDACT, ...(options.redact ?? [])], censor: "[redacted]" },
    base: { pid: process.pid },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that writes nothing, for tests and library callers that bring none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** A URL with its password replaced, safe to log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
