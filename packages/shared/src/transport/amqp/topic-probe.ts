import type { ChannelModel } from "amqplib";
import { AirlockError, UnavailableError } from "../../errors.js";
import type { Logger } from "../../lifecycle/logger.js";
import { isRequestError } from "./managed-channel.js";
import { declareTopic } from "./topology.js";

/** How many refused topic names a publisher remembers; the oldest are forgotten first. */
const MAX_REFUSED = 10_000;

/**
 * Topic names RabbitMQ refused to declare, with its reason. A refusal (403 on `amq.*` or a name outside
 * the user's permissions, 406 on an exchange of another type such as `airlock.dlx`) does not change by
 * asking again, so a later publish to one fails at once instead of costing a channel each time. Kept for
 * the life of the process: a restart asks again (permissions may have been granted since).
 */
export class RefusedTopics {
  readonly #reasons = new Map<string, string>();

  /** The broker's reason for refusing `topic`, or undefined when it never did. */
  reason(topic: string): string | undefined {
    return this.#reasons.get(topic);
  }

  /** Remember that the broker refused `topic`. */
  add(topic: string, reason: string): void {
    this.#reasons.delete(topic);
    this.#reasons.set(topic, reason);
    if (this.#reasons.size > MAX_REFUSED) this.#reasons.delete(this.#reasons.keys().next().value as string);
  }

  /** The error a publish to a refused topic fails with: not retriable, it is the broker's answer. */
  error(topic: string, reason: string): AirlockError {
    return new AirlockError(`RabbitMQ refused topic ${topic}: ${reason}`, { code: "broker_refused", retriable: false });
  }
}

/**
 * Declare a topic never declared before on a channel of its own, opened for it and closed after. A refused
 * declaration closes the channel it was made on (AMQP channel error): made on the publisher's confirm
 * channel, it took every publish in flight with it, and the refused name, once in the set re-declared on
 * each new channel, refused every channel after — the publisher was down for good. Here only this channel
 * goes. Rejects with a non-retriable `broker_refused` AirlockError (and remembers the name) when RabbitMQ
 * refused, and with a retriable error when the connection was lost meanwhile.
 */
export async function probeTopic(
  model: ChannelModel | undefined,
  topic: string,
  refused: RefusedTopics,
  log: Logger,
): Promise<void> {
  if (!model) throw new UnavailableError(`no RabbitMQ connection to declare ${topic} on`);
  const channel = await model.createChannel();
  // The broker closes the channel with the refusal; without a listener amqplib would throw it.
  channel.on("error", (error: Error) => log.debug({ err: error, topic }, "RabbitMQ closed a probe channel"));
  try {
    await declareTopic(channel, topic);
  } catch (error) {
    if (!isRequestError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    refused.add(topic, reason);
    log.warn({ topic, reason }, "RabbitMQ refused a topic; publishes to it fail from now on");
    throw new AirlockError(`RabbitMQ refused topic ${topic}: ${reason}`, {
      code: "broker_refused",
      retriable: false,
      cause: error,
    });
  }
  try {
    await channel.close();
  } catch (error) {
    // The connection went meanwhile: the exchange was declared, nothing is left to release.
    log.debug({ err: error, topic }, "closing a probe channel failed");
  }
}
