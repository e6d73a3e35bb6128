import { Kafka, type Admin, type ISocketFactory, type RetryOptions } from "kafkajs";
import { AirlockError } from "../../errors.js";
import type { Logger } from "../../lifecycle/logger.js";
import type { BrokerAdapter, ConsumeOptions, RawConsumer, RawHandler } from "../adapter.js";
import { ProduceBatcher } from "./produce-batcher.js";
import { IdempotentProducer } from "./producer.js";
import { kafkaFault } from "./errors.js";
import { GroupMember, type KafkaConsumerStats } from "./group-member.js";
import { kafkaLogLevel, pinoLogCreator } from "./log-creator.js";
import { parseKafkaUrl, type KafkaSettings } from "./settings.js";
import { TopicRegistry } from "./topics.js";

/**
 * kafkajs's retry timing (ms): 100, 200, 400 … 5000, ±20 %. Set here rather than left to kafkajs, whose
 * defaults change under NODE_ENV=test. The number of retries stays kafkajs's (5) unless given: capping it
 * for the idempotent producer makes kafkajs warn on every start.
 */
const CLIENT_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 5_000, factor: 0.2, multiplier: 2 };
/** Retries a consumer makes on its own before it crashes and its member replaces it. */
const CONSUMER_RETRIES = 5;

/** Options of a {@link KafkaAdapter}. */
export interface KafkaAdapterOptions {
  logger: Logger;
  /** The client id the broker shows in its tools and logs. */
  clientId: string;
  /** Opens the client's TCP connections (kafkajs's own by default): for TLS tuning, proxies, or a test that cuts the network. */
  socketFactory?: ISocketFactory;
  /** How kafkajs retries a failing request before giving up; a consumer that gives up crashes and is replaced. */
  retry?: Pick<RetryOptions, "retries" | "initialRetryTime" | "maxRetryTime">;
}

/**
 * The Kafka broker adapter (kafkajs). Topics are created on first use with the URL's layout; the producer is
 * idempotent and a publish resolves when every in-sync replica has the message (acks = all); each consumer
 * is a member of a consumer group that commits a position only over messages its handler acknowledged, and
 * replaces its kafkajs consumer when that crashes. kafkajs's logs go to pino (module "kafka").
 */
export class KafkaAdapter implements BrokerAdapter {
  readonly kind = "kafka";
  /** Consumer crashes and recoveries since the adapter was made. */
  readonly stats: KafkaConsumerStats = { crashes: 0, recoveries: 0 };
  readonly #settings: KafkaSettings;
  readonly #log: Logger;
  readonly #kafka: Kafka;
  readonly #producer: IdempotentProducer;
  // Every publish of the process goes through one batcher and one producer.
  readonly #batcher = new ProduceBatcher({
    one: (message) => this.#producer.send(message),
    batch: (messages) => this.#producer.sendBatch(messages),
  });
  readonly #admin: Admin;
  readonly #topics: TopicRegistry;
  readonly #consumerRetry: RetryOptions;
  readonly #members = new Set<GroupMember>();
  #connected: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: KafkaAdapterOptions) {
    this.#settings = parseKafkaUrl(url);
    this.#log = options.logger.child({ module: "kafka" });
    const retry = { ...CLIENT_RETRY, ...options.retry };
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: this.#settings.brokers,
      retry,
      logLevel: kafkaLogLevel(this.#log),
      logCreator: pinoLogCreator(this.#log),
      ...(options.socketFactory ? { socketFactory: options.socketFactory } : {}),
    });
    this.#producer = new IdempotentProducer(this.#kafka, this.#log);
    this.#admin = this.#kafka.admin();
    this.#topics = new TopicRegistry(this.#admin, this.#settings, this.#log);
    this.#consumerRetry = { ...retry, retries: options.retry?.retries ?? CONSUMER_RETRIES };
  }

  async start(topics: readonly string[]): Promise<void> {
    this.#assertOpen();
    await this.#connect();
    await this.#topics.declare(topics);
  }

  async publish(topic: string, key: string, value: Buffer): Promise<void> {
    this.#assertOpen();
    await this.#connect();
    await this.#topics.declare([topic]);
    await this.#batcher.publish({ topic, key, value });
  }

  async consume(options: ConsumeOptions, handler: RawHandler): Promise<RawConsumer> {
    this.#assertOpen();
    await this.#connect();
    await this.#topics.declare(options.topics);
    const member = new GroupMember(
      {
        kafka: this.#kafka,
        admin: this.#admin,
        log: this.#log,
        retry: this.#consumerRetry,
        stats: this.stats,
        onClosed: (closed) => this.#members.delete(closed),
      },
      options,
      handler,
    );
    this.#members.add(member);
    try {
      await member.start();
    } catch (error) {
      await member.close();
      throw error;
    }
    return member;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = await Promise.allSettled([...this.#members].map((member) => member.close()));
      for (const result of closed) {
        if (result.status === "rejected") this.#log.error({ err: result.reason }, "closing a kafka consumer failed");
      }
      const disconnected = await Promise.allSettled([this.#producer.disconnect(), this.#admin.disconnect()]);
      for (const result of disconnected) {
        if (result.status === "rejected") this.#log.warn({ err: result.reason }, "disconnecting from kafka failed");
      }
    })();
    return this.#closing;
  }

  #connect(): Promise<void> {
    this.#connected ??= Promise.all([this.#producer.connect(), this.#admin.connect()]).then(
      () => this.#log.info({ brokers: this.#settings.brokers }, "connected to kafka"),
      (error: unknown) => {
        // Forget the failure: the next call tries again.
        this.#connected = undefined;
        throw kafkaFault(`connecting to kafka at ${this.#settings.brokers.join(",")} failed`, error);
      },
    );
    return this.#connected;
  }

  #assertOpen(): void {
    if (this.#closing) throw new AirlockError("kafka transport is closed", { code: "closed", retriable: false });
  }
}
