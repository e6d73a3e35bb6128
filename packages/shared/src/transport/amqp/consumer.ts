import type { Channel, ConsumeMessage } from "amqplib";
import type { BackoffPolicy } from "../../lifecycle/backoff.js";
import type { Logger } from "../../lifecycle/logger.js";
import {
  BACKGROUND_DELAY_MS,
  type ConsumeOptions,
  type RawConsumer,
  type RawHandler,
  type RawMessage,
} from "../adapter.js";
import { AckQueue } from "./ack-queue.js";
import type { AmqpConnection } from "./connection.js";
import { ManagedChannel } from "./managed-channel.js";
import { declareGroup, queueName } from "./topology.js";

/** Options of an {@link AmqpConsumer}. */
export interface AmqpConsumerOptions {
  log: Logger;
  backoff: BackoffPolicy;
  /** Called once the consumer has closed, so its owner can let go of it. */
  onClosed: () => void;
}

/**
 * One member of a consumer group, on its own channel: `prefetch` unacknowledged messages at most, each
 * acknowledged after its handler resolved (acks are sent together, see {@link AckQueue}) and returned to
 * the queue (nack, requeue) when it rejected.
 * After a reconnect or a channel error the queue is declared and consumed again; what was unacknowledged
 * on the lost channel is redelivered by the broker, flagged `redelivered`. A background group's messages
 * are held and handed over together (see ConsumeOptions.background).
 *
 * Handlers are called in delivery order, synchronously as each message arrives: the Transport's
 * KeyedSerial queues them per key from that call, which keeps one key's messages in order at any prefetch.
 */
export class AmqpConsumer implements RawConsumer {
  readonly #options: ConsumeOptions;
  readonly #handler: RawHandler;
  readonly #settings: AmqpConsumerOptions;
  readonly #log: Logger;
  readonly #channel: ManagedChannel<Channel>;
  readonly #inFlight = new Set<Promise<void>>();
  // Acks go to the channel the message came on: its delivery tag means nothing on another one.
  readonly #acks = new WeakMap<Channel, AckQueue>();
  readonly #held: Array<{ channel: Channel; message: ConsumeMessage }> = [];
  #holdTimer: NodeJS.Timeout | undefined;
  #consumer: { channel: Channel; tag: string } | undefined;
  #closing: Promise<void> | undefined;

  constructor(connection: AmqpConnection, options: ConsumeOptions, handler: RawHandler, settings: AmqpConsumerOptions) {
    this.#options = options;
    this.#handler = handler;
    this.#settings = settings;
    this.#log = settings.log.child({ group: options.group, queue: queueName(options) });
    this.#channel = new ManagedChannel(connection, {
      name: `consumer of ${queueName(options)}`,
      log: this.#log,
      backoff: settings.backoff,
      open: (model) => model.createChannel(),
      setup: (channel) => this.#setup(channel),
    });
  }

  /** Resolves once the queue is declared, bound and consumed from; on failure the consumer is closed. */
  async ready(deadline: number): Promise<void> {
    try {
      await this.#channel.ready(deadline);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Stop taking messages, wait for the handlers in flight (their acks are sent), close the channel. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const channel = this.#channel.stop();
      const consumer = this.#consumer;
      if (channel && consumer?.channel === channel) {
        try {
          await channel.cancel(consumer.tag);
        } catch (error) {
          // The channel went with its connection: it delivers nothing more, and the broker has taken back
          // what it held.
          this.#log.debug({ err: error }, "cancelling the consumer failed");
        }
      }
      this.#release();
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      if (consumer) this.#acks.get(consumer.channel)?.flush();
      // Closing the channel returns anything still unacknowledged to the queue.
      await this.#channel.close();
      this.#settings.onClosed();
    })();
    return this.#closing;
  }

  async #setup(channel: Channel): Promise<void> {
    // Per consumer (global: false): this member holds at most `prefetch` unacknowledged messages.
    await channel.prefetch(Math.max(1, this.#options.prefetch));
    const queue = await declareGroup(channel, this.#options);
    this.#acks.set(
      channel,
      new AckQueue(channel, (error) => this.#log.debug({ err: error }, "could not settle a message: channel closed")),
    );
    const { consumerTag } = await channel.consume(queue, (message) => this.#receive(channel, message));
    this.#consumer = { channel, tag: consumerTag };
    this.#log.debug({ consumer_tag: consumerTag }, "consuming");
  }

  #receive(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancelled the consumer (its queue was deleted): a new channel declares it again.
      this.#log.warn("RabbitMQ cancelled the consumer; declaring its queue again");
      this.#channel.recycle(channel);
      return;
    }
    if (this.#options.background) {
      // Handed over together every BACKGROUND_DELAY_MS, or once half the prefetch waits (under load).
      this.#held.push({ channel, message });
      if (this.#held.length >= Math.max(1, this.#options.prefetch / 2)) this.#release();
      else this.#holdTimer ??= setTimeout(() => this.#release(), BACKGROUND_DELAY_MS);
      return;
    }
    this.#handle(channel, message);
  }

  #release(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    for (const { channel, message } of this.#held.splice(0)) this.#handle(channel, message);
  }

  #handle(channel: Channel, message: ConsumeMessage): void {
    const raw: RawMessage = {
      topic: message.fields.exchange,
      key: message.fields.routingKey,
      value: message.content,
      redelivered: message.fields.redelivered,
    };
    const acks = this.#acks.get(channel)!;
    const outstanding = acks.received(message);
    let handled: Promise<void>;
    try {
      handled = this.#handler(raw);
    } catch (error) {
      handled = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const settled = handled
      .then(
        () => acks.ack(outstanding),
        (error: unknown) => {
          this.#log.debug(
            { err: error, topic: raw.topic, key: raw.key },
            "handler rejected; returning the message to the queue",
          );
          acks.nack(outstanding);
        },
      )
      .finally(() => this.#inFlight.delete(settled));
    this.#inFlight.add(settled);
  }
}
