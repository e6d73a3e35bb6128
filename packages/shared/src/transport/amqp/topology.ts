import { createHash } from "node:crypto";
import type { Channel, Options } from "amqplib";
import type { ConsumeOptions } from "../adapter.js";

/**
 * Where RabbitMQ puts what a group's queue refuses (a reject without requeue, an expired or overflowing
 * message): a direct exchange routing by queue name to that queue's parking queue ({@link parkingQueue}).
 * Airlock's own dead letters (invalid events, handlers that gave up) are events on `airlock.dead-letter`,
 * published by the Transport; these are the broker's, kept so that nothing is dropped silently.
 */
export const DEAD_LETTER_EXCHANGE = "airlock.dlx";

// Survive a broker restart; never deleted by the broker when the last queue unbinds.
const DURABLE_EXCHANGE: Options.AssertExchange = { durable: true, autoDelete: false };

// AMQP short strings (queue names, routing keys) hold at most 255 bytes; keep room for the ".dlq" suffix.
const MAX_QUEUE_BYTES = 200;

/** The longest routing key AMQP can carry, in bytes. */
export const MAX_ROUTING_KEY_BYTES = 255;

/** Declare a topic: one durable topic exchange, routing key = the message key. Idempotent. */
export async function declareTopic(channel: Channel, topic: string): Promise<void> {
  await channel.assertExchange(topic, "topic", DURABLE_EXCHANGE);
}

/**
 * A consumer group's queue: one per group and set of topics, shared by the group's members (competing
 * consumers), so that one group reading two topic sets in two subscriptions never mixes them.
 */
export function queueName(options: Pick<ConsumeOptions, "group" | "topics">): string {
  const topics = [...new Set(options.topics)].sort().join(",");
  const name = `${options.group}@${topics}`;
  if (Buffer.byteLength(name) <= MAX_QUEUE_BYTES) return name;
  // Too long to be a queue name: a readable prefix, and a digest of the whole so distinct names stay distinct.
  const digest = createHash("sha256").update(name).digest("hex").slice(0, 24);
  return `${options.group.replace(/[^\x20-\x7e]/g, "_").slice(0, 120)}@${digest}`;
}

/** Where the broker parks what a durable group's queue dead-letters. */
export function parkingQueue(queue: string): string {
  return `${queue}.dlq`;
}

/**
 * Declare everything a group member reads from — its topics' exchanges, its queue and the queue's
 * bindings (every key, or only `keys`) — and return the queue's name. Runs on every new channel.
 *
 * A durable group gets a durable queue that dead-letters to {@link DEAD_LETTER_EXCHANGE}; an ephemeral
 * one an exclusive, auto-deleted queue that lives only as long as its connection and consumer. It is
 * bound before `consume` resolves, so it sees everything published from then on.
 */
export async function declareGroup(channel: Channel, options: ConsumeOptions): Promise<string> {
  for (const topic of options.topics) await declareTopic(channel, topic);
  const queue = queueName(options);
  if (options.ephemeral) {
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
  } else {
    const parking = parkingQueue(queue);
    await channel.assertExchange(DEAD_LETTER_EXCHANGE, "direct", DURABLE_EXCHANGE);
    await channel.assertQueue(parking, { durable: true });
    await channel.bindQueue(parking, DEAD_LETTER_EXCHANGE, queue);
    // The arguments must be the same on every declaration: RabbitMQ refuses (406) a queue re-declared
    // with other ones.
    await channel.assertQueue(queue, {
      durable: true,
      deadLetterExchange: DEAD_LETTER_EXCHANGE,
      deadLetterRoutingKey: queue,
    });
  }
  // Keys are bound as they are: in a topic exchange `*` and `#` in a key would act as wildcards.
  const patterns = options.keys ? [...new Set(options.keys)] : ["#"];
  for (const topic of options.topics) {
    for (const pattern of patterns) await channel.bindQueue(queue, topic, pattern);
  }
  return queue;
}
