/**
 * What a broker adapter does: move bytes, durably, with acknowledgement. Everything Airlock-specific —
 * validation, dead-lettering, retries, per-key ordering — lives once, in transport.ts, above this line.
 * Each adapter (memory, amqp, kafka) passes the same contract suite (packages/shared/test/transport/).
 */

/** One message as it comes off a broker. */
export interface RawMessage {
  /** The physical topic (namespace included). */
  topic: string;
  /** The ordering key (Kafka partition key, RabbitMQ routing key). */
  key: string;
  value: Buffer;
  /** The broker says it delivered this message before (a previous consumer did not acknowledge it). */
  redelivered: boolean;
}

/** How one member of a consumer group consumes. */
export interface ConsumeOptions {
  /** The consumer group (physical name, namespace included). Members of one group share the messages. */
  group: string;
  /** Physical topic names. */
  topics: readonly string[];
  /** At most this many unacknowledged messages held by this member. */
  prefetch: number;
  /**
   * Only messages with one of these keys (e.g. an agent waiting for its own verdicts). RabbitMQ binds
   * with them as routing keys; other adapters filter.
   */
  keys?: readonly string[];
  /**
   * A private, short-lived subscription (an agent waiting for verdicts): its queue or group goes away
   * when it closes, and it sees only messages published after `consume` resolved.
   */
  ephemeral?: boolean;
  /**
   * Default true. false: the group's handler may hold several messages of one key at once. Only the
   * memory broker holds a key's next message back itself; the others leave ordering to the Transport.
   */
  ordered?: boolean;
  /**
   * Default false. true: the group may receive its messages up to {@link BACKGROUND_DELAY_MS} late, in
   * batches — Kafka answers its fetches only every so often instead of at each new message, and the
   * RabbitMQ consumer holds what the broker pushes until then (or until half its prefetch is held). The
   * memory broker, in-process, ignores it.
   */
  background?: boolean;
}

/**
 * How late a background group may see a message. Handling each message as it comes puts its work (a Kafka
 * fetch response to decode — audit's covers every partition of every topic —, an event to parse and
 * validate) right beside the work of the call that produced it: with every service in one process, the
 * next call waited behind it. Bookkeeping no caller waits on can take its messages ten times a second,
 * in one go.
 */
export const BACKGROUND_DELAY_MS = 100;

/**
 * Handles one message. Resolving acknowledges it (commits the offset); rejecting leaves it with the
 * broker for redelivery. Airlock's own handlers only reject when the process is stopping.
 */
export type RawHandler = (message: RawMessage) => Promise<void>;

/** A running consumer. */
export interface RawConsumer {
  /**
   * Stop taking messages, wait for the handlers in flight to settle (their acks are sent), and return
   * what was taken but not handled to the broker. Idempotent.
   */
  close(): Promise<void>;
}

/** A connection to one broker. */
export interface BrokerAdapter {
  readonly kind: "memory" | "amqp" | "kafka";
  /** Connect and declare these topics (idempotent, safe to call on every start). */
  start(topics: readonly string[]): Promise<void>;
  /**
   * Publish one message; resolves only when the broker has it (publisher confirm, Kafka acks=all).
   * A topic not declared at start is declared first.
   */
  publish(topic: string, key: string, value: Buffer): Promise<void>;
  /**
   * Start one member of a consumer group. Resolves when the member is ready: every message published
   * after that reaches the group. New groups start at the beginning of durable topics.
   */
  consume(options: ConsumeOptions, handler: RawHandler): Promise<RawConsumer>;
  /** Close consumers and connections. Idempotent: a second call returns the first call's promise. */
  close(): Promise<void>;
  /**
   * Create durable groups ahead of their first member (physical names), for brokers that keep a message
   * only for subscriptions that exist when it is published (RabbitMQ). Others leave it out.
   */
  declareGroups?(groups: ReadonlyArray<{ group: string; topics: readonly string[] }>): Promise<void>;
  /** Whether the broker connection is up now (for /readyz); adapters that cannot lose one leave it out. */
  isConnected?(): boolean;
}
