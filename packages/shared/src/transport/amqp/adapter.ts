import { AirlockError } from "../../errors.js";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "../../lifecycle/backoff.js";
import type { Logger } from "../../lifecycle/logger.js";
import type { BrokerAdapter, ConsumeOptions, RawConsumer, RawHandler } from "../adapter.js";
import { AmqpConnection } from "./connection.js";
import { AmqpConsumer } from "./consumer.js";
import { AmqpPublisher } from "./publisher.js";

/** Options of an {@link AmqpAdapter}. */
export interface AmqpAdapterOptions {
  logger: Logger;
  /** The connection's name in RabbitMQ's tools (`connection_name`). */
  clientId: string;
  /** Waits between connection and channel attempts. Default: the shared {@link DEFAULT_BACKOFF}. */
  backoff?: BackoffPolicy;
  /** Connection attempts before `start` gives up; reconnection after a loss never gives up. Default 10 (about 20 s). */
  connectAttempts?: number;
  /**
   * How long a publish, or a new consumer, waits for the broker — through a reconnection — before it
   * fails with a retriable error, in ms. Default 30 000: longer than a RabbitMQ restart.
   */
  unavailableTimeoutMs?: number;
}

/**
 * RabbitMQ, through amqplib: one durable topic exchange per topic, one durable queue per consumer group
 * (dead-lettering to `airlock.dlx`), persistent messages published on a confirm channel, manual acks
 * after the handler, and recovery from a lost connection — topology declared again, consumers
 * re-created, publishes held until the broker is back.
 */
export class AmqpAdapter implements BrokerAdapter {
  readonly kind = "amqp";
  readonly #log: Logger;
  readonly #backoff: BackoffPolicy;
  readonly #timeoutMs: number;
  readonly #connection: AmqpConnection;
  readonly #publisher: AmqpPublisher;
  readonly #consumers = new Set<AmqpConsumer>();
  #closing: Promise<void> | undefined;

  constructor(url: string, options: AmqpAdapterOptions) {
    this.#log = options.logger.child({ module: "amqp" });
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#timeoutMs = options.unavailableTimeoutMs ?? 30_000;
    this.#connection = new AmqpConnection(url, {
      clientId: options.clientId,
      log: this.#log,
      backoff: this.#backoff,
      connectAttempts: options.connectAttempts ?? 10,
    });
    this.#publisher = new AmqpPublisher(this.#connection, {
      log: this.#log,
      backoff: this.#backoff,
      timeoutMs: this.#timeoutMs,
    });
  }

  async start(topics: readonly string[]): Promise<void> {
    await this.#open();
    await this.#publisher.declare(topics);
  }

  async declareGroups(groups: ReadonlyArray<{ group: string; topics: readonly string[] }>): Promise<void> {
    await this.#open();
    await this.#publisher.declareGroups(groups);
  }

  async publish(topic: string, key: string, value: Buffer): Promise<void> {
    await this.#open();
    await this.#publisher.publish(topic, key, value);
  }

  async consume(options: ConsumeOptions, handler: RawHandler): Promise<RawConsumer> {
    await this.#open();
    const consumer = new AmqpConsumer(this.#connection, options, handler, {
      log: this.#log,
      backoff: this.#backoff,
      onClosed: () => this.#consumers.delete(consumer),
    });
    this.#consumers.add(consumer);
    await consumer.ready(Date.now() + this.#timeoutMs);
    return consumer;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Consumers first: their handlers may still publish (dead letters) until they have settled.
      const consumers = await Promise.allSettled([...this.#consumers].map((consumer) => consumer.close()));
      const publisher = await Promise.allSettled([this.#publisher.close()]);
      for (const result of [...consumers, ...publisher]) {
        if (result.status === "rejected")
          this.#log.error({ err: result.reason }, "closing failed; closing the connection anyway");
      }
      await this.#connection.close();
    })();
    return this.#closing;
  }

  async #open(): Promise<void> {
    if (this.#closing) throw new AirlockError("the RabbitMQ adapter is closed", { code: "closed", retriable: false });
    await this.#connection.open();
  }
}
