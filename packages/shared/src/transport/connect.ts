import { ConfigError } from "../errors.js";
import type { Logger } from "../lifecycle/logger.js";
import type { BrokerAdapter } from "./adapter.js";
import { MemoryAdapter, MemoryHub } from "./memory.js";
import { parseKafkaUrl } from "./kafka/settings.js";
import { Transport, type TransportObserver } from "./transport.js";

/** The broker URL schemes Airlock speaks. */
export const BROKER_SCHEMES = ["memory:", "amqp:", "amqps:", "kafka:"] as const;

/**
 * Check a broker URL without connecting. Throws a ConfigError naming AIRLOCK_BROKER when it cannot be used.
 */
export function parseBrokerUrl(url: string): URL {
  // kafka:// may list several brokers ("a:9092,b:9092"), which WHATWG URL refuses: the Kafka parser checks
  // the list (a ConfigError naming AIRLOCK_BROKER) and the first broker's URL stands for the scheme.
  if (url.startsWith("kafka://")) {
    parseKafkaUrl(url);
    return new URL(url.replace(/,[^/?#]*/g, ""));
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      `AIRLOCK_BROKER: "${url}" is not a URL; use memory://, amqp://user:pass@host:5672 or kafka://host:9092`,
    );
  }
  if (!(BROKER_SCHEMES as readonly string[]).includes(parsed.protocol)) {
    throw new ConfigError(
      `AIRLOCK_BROKER: unsupported broker "${parsed.protocol}//"; use memory://, amqp://user:pass@host:5672 or kafka://host:9092`,
    );
  }
  return parsed;
}

/** Options of {@link createTransport}. */
export interface CreateTransportOptions {
  logger: Logger;
  namespace?: string;
  /** A name for the Kafka client and RabbitMQ connection, seen in the broker's tools. */
  clientId?: string;
  /** Told of every publish, handled event and dead letter (metrics). */
  observer?: TransportObserver;
}

/**
 * The transport for a broker URL (not yet started): `memory://[name]`, `amqp[s]://…`, `kafka://host:port[,host:port]`.
 * Adapters are loaded on demand, so the embedded default never loads kafkajs or amqplib.
 */
export async function createTransport(url: string, options: CreateTransportOptions): Promise<Transport> {
  const parsed = parseBrokerUrl(url);
  let adapter: BrokerAdapter;
  switch (parsed.protocol) {
    case "memory:":
      adapter = new MemoryAdapter(MemoryHub.shared(parsed.host || "default"));
      break;
    case "amqp:":
    case "amqps:": {
      const { AmqpAdapter } = await import("./amqp/adapter.js");
      adapter = new AmqpAdapter(url, { logger: options.logger, clientId: options.clientId ?? "airlock" });
      break;
    }
    default: {
      const { KafkaAdapter } = await import("./kafka/adapter.js");
      adapter = new KafkaAdapter(url, { logger: options.logger, clientId: options.clientId ?? "airlock" });
    }
  }
  return new Transport(adapter, {
    logger: options.logger,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
}
