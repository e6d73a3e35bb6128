import { Partitioners, type Kafka, type Producer } from "kafkajs";
import { UnavailableError } from "../../errors.js";
import type { Logger } from "../../lifecycle/logger.js";
import { kafkaFault, producerStateLost } from "./errors.js";
import type { ProduceMessage } from "./produce-batcher.js";

/**
 * The process's idempotent producer, replaced whenever its sequence numbers can no longer be trusted:
 *
 * - After a broker restart the broker may answer OUT_OF_ORDER_SEQUENCE_NUMBER (or forget the producer id)
 *   for every later request — kafkajs marks that non-retriable, and without a new producer id nothing
 *   would ever be published again, while each refused event looked refused for good and was dead-lettered.
 * - After a publish that failed without the broker's word (a lost connection, a timeout): the broker may
 *   have written it, and kafkajs reuses its sequence numbers for the next messages, which the broker then
 *   takes for duplicates and drops while answering "written" (test/transport/kafka.lost-answer.int.test.ts).
 *
 * Either way a new producer (new producer id, sequences from 0) takes over, and the publish fails as
 * retriable, so its caller sends it again through the new one — at least once, as everywhere.
 */
export class IdempotentProducer {
  readonly #kafka: Kafka;
  readonly #log: Logger;
  #producer: Producer;
  // A replacement connects on its first publish; one that fails to connects again on the next.
  #mustConnect = false;
  #connecting: Promise<void> | undefined;
  // After disconnect(), a publish still queued must not connect a replacement nobody would close.
  #closed = false;

  constructor(kafka: Kafka, log: Logger) {
    this.#kafka = kafka;
    this.#log = log;
    this.#producer = this.#create();
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  disconnect(): Promise<void> {
    this.#closed = true;
    return this.#producer.disconnect();
  }

  /** One request with one message; acks -1: the leader answers once every in-sync replica has it. */
  send(message: ProduceMessage): Promise<void> {
    return this.#produce(`publishing to ${message.topic}`, [message]);
  }

  /** One request with these messages, grouped by topic in their order; acks -1. */
  sendBatch(messages: readonly ProduceMessage[]): Promise<void> {
    const topics = [...new Set(messages.map((message) => message.topic))];
    return this.#produce(`publishing ${messages.length} messages to ${topics.join(", ")}`, messages);
  }

  #produce(what: string, messages: readonly ProduceMessage[]): Promise<void> {
    const byTopic = new Map<string, Array<{ key: string; value: Buffer }>>();
    for (const { topic, key, value } of messages) {
      const ofTopic = byTopic.get(topic);
      if (ofTopic) ofTopic.push({ key, value });
      else byTopic.set(topic, [{ key, value }]);
    }
    return this.#run(what, async (producer) => {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, ofTopic]) => ({ topic, messages: ofTopic })),
      });
    });
  }

  async #run(what: string, send: (producer: Producer) => Promise<void>): Promise<void> {
    const used = this.#producer;
    try {
      await this.#connectReplacement();
      await send(used);
    } catch (error) {
      if (producerStateLost(error)) {
        this.#replace(used, error);
        throw new UnavailableError(
          `${what} failed: the broker lost this producer's sequence; a new producer takes over`,
          {
            cause: error,
          },
        );
      }
      const fault = kafkaFault(`${what} failed`, error);
      // Retriable: the broker may have written the request before its answer was lost. kafkajs handed the
      // sequence numbers back, and would give them to the next messages; the broker takes a batch with a
      // sequence it has seen for a duplicate, whatever it carries, answers "written" and drops it. A new
      // producer id starts sequences afresh, so what is sent next is never mistaken for what went before.
      if (fault.retriable) this.#replace(used, error);
      throw fault;
    }
  }

  async #connectReplacement(): Promise<void> {
    if (!this.#mustConnect) return;
    if (this.#closed) throw new UnavailableError("the kafka producer is closed");
    this.#connecting ??= this.#producer
      .connect()
      .then(() => {
        this.#mustConnect = false;
      })
      .finally(() => {
        this.#connecting = undefined;
      });
    await this.#connecting;
  }

  /** Retire `retired`, unless another failure replaced it already: a send fails only its own producer. */
  #replace(retired: Producer, reason: unknown): void {
    if (retired !== this.#producer) return;
    this.#log.warn({ err: reason }, "kafka producer out of step with the broker; replacing it");
    this.#producer = this.#create();
    this.#mustConnect = true;
    retired.disconnect().catch((error: unknown) => this.#log.debug({ err: error }, "retiring the old producer failed"));
  }

  #create(): Producer {
    return this.#kafka.producer({
      idempotent: true,
      // One request in flight per broker: with the idempotent producer's sequence numbers, a retried batch can
      // neither be written twice nor overtake the next one.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java's murmur2 partitioner (kafkajs's default since 2.0, named so kafkajs does not warn): a key lands in
      // the same partition whichever client published it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }
}
