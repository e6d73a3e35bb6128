import { connectBroker, type BrokerClientOptions } from "./broker-client.js";
import type { AgentClient } from "./client.js";
import { connectHttp } from "./http-client.js";

/** Options of {@link connect}: a broker URL (or transport) or the HTTP API's URL, and the agent's id. */
export type ConnectOptions = BrokerClientOptions & { url?: string };

/**
 * Connect an agent to Airlock: over the HTTP API when `url` is given, else over the broker
 * (`broker` URL or a started `transport`).
 */
export function connect(options: ConnectOptions): Promise<AgentClient> {
  if (options.url !== undefined) {
    return connectHttp({ agent: options.agent, url: options.url, ...(options.runId ? { runId: options.runId } : {}) });
  }
  return connectBroker(options);
}
