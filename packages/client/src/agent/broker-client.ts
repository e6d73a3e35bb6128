import {
  TOPICS,
  createEvent,
  createTransport,
  newId,
  silentLogger,
  type Logger,
  type Subscription,
  type Transport,
} from "@airlock/shared";
import { requestData, timeoutMs, type CheckOptions, type ToolCall } from "./call.js";
import type { AgentClient } from "./client.js";
import { failClosed, unreachable, verdictFromEvent, type Verdict } from "./verdict.js";
import { VerdictWaiter } from "./waiter.js";

/** Options of {@link connectBroker}. */
export interface BrokerClientOptions {
  agent: string;
  /** Broker URL (memory://, amqp://…, kafka://…); or pass a started `transport`. */
  broker?: string;
  transport?: Transport;
  namespace?: string;
  runId?: string;
  logger?: Logger;
}

/**
 * An agent client that speaks the broker: it publishes `tool_call.requested` and listens for its own
 * verdicts (an ephemeral subscription to `airlock.verdicts`, keyed by its agent id).
 */
export async function connectBroker(options: BrokerClientOptions): Promise<AgentClient> {
  const logger = options.logger ?? silentLogger();
  const owned = options.transport === undefined;
  const transport =
    options.transport ??
    (await createTransport(options.broker ?? "memory://", {
      logger,
      clientId: `agent-${options.agent}`,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    }));
  if (owned) await transport.start();
  const waiter = new VerdictWaiter();
  let subscription: Subscription;
  try {
    subscription = await transport.subscribe({
      group: `agent-${options.agent}-${newId()}`,
      topics: [TOPICS.verdicts],
      keys: [options.agent],
      ephemeral: true,
      handler: (event) => {
        if (event.type === "airlock.verdict.final") waiter.deliver(event);
        return Promise.resolve();
      },
    });
  } catch (error) {
    if (owned) await transport.close();
    throw error;
  }
  return new BrokerAgentClient(options.agent, options.runId ?? newId(), transport, waiter, async () => {
    await subscription.close();
    if (owned) await transport.close();
  });
}

class BrokerAgentClient implements AgentClient {
  #closing: Promise<void> | undefined;
  constructor(
    readonly agent: string,
    readonly runId: string,
    private readonly transport: Transport,
    private readonly waiter: VerdictWaiter,
    private readonly closeAll: () => Promise<void>,
  ) {}

  async check(call: ToolCall, options: CheckOptions = {}): Promise<Verdict> {
    const data = requestData(this.agent, this.runId, call);
    const waiting = this.waiter.wait(data, timeoutMs(options), options.signal);
    try {
      await this.transport.publish(
        createEvent({
          type: "airlock.tool_call.requested",
          source: `agent/${this.agent}`,
          subject: data.call_id,
          data,
        }),
      );
    } catch (error) {
      // A broker that will not take the call: nothing can allow it, so deny now rather than throw.
      this.waiter.forget(data);
      await waiting;
      return unreachable(data, error);
    }
    const event = await waiting;
    if (event) return verdictFromEvent(event.data, data);
    const aborted = options.signal?.aborted === true;
    // Best effort: the call is denied here whether or not the cancellation gets through.
    await this.transport
      .publish(
        createEvent({
          type: "airlock.tool_call.cancelled",
          source: `agent/${this.agent}`,
          subject: data.call_id,
          data: {
            call_id: data.call_id,
            agent_id: this.agent,
            reason: aborted ? "aborted by the agent" : "the agent stopped waiting",
          },
        }),
      )
      .catch(() => undefined);
    return failClosed(data, aborted, timeoutMs(options));
  }

  close(): Promise<void> {
    return (this.#closing ??= this.closeAll());
  }
}
