import { ConfigError } from "../../errors.js";

/** What a `kafka://` URL says: the brokers to bootstrap from, and the layout of the topics this client creates. */
export interface KafkaSettings {
  /** `host:port` of each bootstrap broker. */
  brokers: string[];
  /** Partitions of each topic the adapter creates (`?partitions=N`, default 3): the most members one group can spread over. */
  partitions: number;
  /** Copies of each partition (`?replication=N`, default 1, for a single broker). */
  replicationFactor: number;
}

/**
 * Consumer group timing. Kafka's client defaults (45 s session, 5 s fetch wait) make every join and every
 * rebalance take seconds. A member only notices a rebalance when its fetch returns (at most `maxWaitTimeInMs`)
 * and it next heartbeats (`heartbeatInterval`), so these keep a join, a rebalance and a close near 1.5 s,
 * while a member that stops heartbeating is still given 10 s before its partitions move.
 */
export const GROUP_TIMING = {
  sessionTimeout: 10_000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 1_000,
  maxWaitTimeInMs: 500,
} as const;

const DEFAULT_PORT = 9092;
const OPTIONS = ["partitions", "replication"] as const;

/**
 * Parse `kafka://host[:port][,host[:port]…][?partitions=N&replication=N]`. WHATWG URL cannot (a list of
 * hosts is not an authority), so this reads it by hand. Throws a ConfigError naming AIRLOCK_BROKER.
 */
export function parseKafkaUrl(url: string): KafkaSettings {
  const match = /^kafka:\/\/([^/?#]+)\/?(?:\?([^#]*))?$/.exec(url.trim());
  const hosts = match?.[1];
  if (!hosts)
    throw new ConfigError(`AIRLOCK_BROKER: "${url}" is not kafka://host:port[,host:port][?partitions=N&replication=N]`);
  const brokers = hosts
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0)
    .map((broker) => (/:\d+$/.test(broker) ? broker : `${broker}:${DEFAULT_PORT}`));
  if (brokers.length === 0) throw new ConfigError(`AIRLOCK_BROKER: "${url}" names no Kafka broker`);
  const query = new URLSearchParams(match[2] ?? "");
  for (const name of query.keys()) {
    if (!(OPTIONS as readonly string[]).includes(name)) {
      throw new ConfigError(`AIRLOCK_BROKER: unknown kafka:// option "${name}"; known: ${OPTIONS.join(", ")}`);
    }
  }
  return {
    brokers,
    partitions: positiveInteger(query, "partitions", 3),
    replicationFactor: positiveInteger(query, "replication", 1),
  };
}

function positiveInteger(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`AIRLOCK_BROKER: kafka:// option ${name}="${raw}" is not a positive integer`);
  return value;
}
