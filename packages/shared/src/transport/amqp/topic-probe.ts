import type { ChannelModel } from "amqplib";
import { AirlockError, UnavailableError } from "../../errors.js";
import type { Logger } from "../../lifecycle/logger.js";
import { isRequestError } from "./managed-channel.js";
import { declareTopic } from "./topology.js";

/** How many refused topic names a publisher remembers; the oldest are forgotten first. */
const MAX_REFUSED = 10_000;

/**
 * How long a refusal is remembered before the broker is asked again: long enough that a flood of
 * publishes to a refused name costs one channel a minute, short enough that a refusal that was not for
 * good (an authentication backend that timed out answers ACCESS_REFUSED too) does not last the process.
 */
export const REFUSAL_TTL_MS = 60_000;

interface Refusal {
  reason: string;
  at: number;
  /** The broker had declared this topic for us before: losing it is an outage to wait out, not a verdict. */
  wasDeclared: boolean;
}

/**
 * Topic names RabbitMQ refused to declare, with its reason. A refusal (403 on `amq.*` or a name outside
 * the user's permissions, 406 on an exchange of another type such as `airlock.dlx`) seldom changes by
 * asking again, so a later publish to one fails at once instead of costing a channel each time, for
 * {@link REFUSAL_TTL_MS}.
 */
export class RefusedTopics {
  readonly #refusals = new Map<string, Refusal>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The broker's reason for refusing `topic` lately, or undefined when it did not. */
  reason(topic: string): string | undefined {
    const refusal = this.#refusals.get(topic);
    if (refusal && this.#now() - refusal.at > REFUSAL_TTL_MS) this.#refusals.delete(topic);
    return this.#refusals.get(topic)?.reason;
  }

  /** Remember that the broker refused `topic` (one it had declared before, when `wasDeclared`). */
  add(topic: string, reason: string, wasDeclared = false): void {
    this.#refusals.delete(topic);
    this.#refusals.set(topic, { reason, at: this.#now(), wasDeclared });
    if (this.#refusals.size > MAX_REFUSED) this.#refusals.delete(this.#refusals.keys().next().value as string);
  }

  /**
   * The error a publish to a refused topic fails with: not retriable for a name the broker never took
   * (its answer, for an outbox row to dead-letter); retriable for one it had declared before — Airlock's
   * own topics, whose outbox rows must wait for the permission to come back, never be dead-lettered.
   */
  error(topic: string, reason: string): AirlockError {
    const wasDeclared = this.#refusals.get(topic)?.wasDeclared ?? false;
    return wasDeclared
      ? new UnavailableError(`RabbitMQ refuses topic ${topic}, which it had declared before: ${reason}`)
      : new AirlockError(`RabbitMQ refused topic ${topic}: ${reason}`, { code: "broker_refused", retriable: false });
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
