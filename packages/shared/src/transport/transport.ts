import { AirlockError, PoisonMessageError } from "../errors.js";
import { createEvent, parseEvent, type AirlockEvent } from "../events/envelope.js";
import { EVENT_TYPES, keyOf, type EventType } from "../events/registry.js";
import { ALL_TOPICS, CONSUMER_GROUPS, TOPICS } from "../events/topics.js";
import { DEAD_LETTER_RAW_BYTES, MAX_EVENT_BYTES } from "../limits.js";
import { backoffDelay, delay, DEFAULT_BACKOFF, type BackoffPolicy } from "../lifecycle/backoff.js";
import type { Logger } from "../lifecycle/logger.js";
import type { BrokerAdapter, RawConsumer, RawMessage } from "./adapter.js";
import { KeyedSerial } from "./keyed-serial.js";

/** How a handler's event reached it. */
export interface Delivery {
  /** The logical topic (no namespace). */
  topic: string;
  key: string;
  /** 1 on the first try in this process; more when the handler threw before. */
  attempt: number;
  /** The broker delivered this message before (to a consumer that did not acknowledge it). */
  redelivered: boolean;
}

/** Handles one valid event. Throwing retries it (see {@link SubscribeOptions.attempts}). */
export type EventHandler = (event: AirlockEvent, delivery: Delivery) => Promise<void>;

/** One member of a consumer group. */
export interface SubscribeOptions {
  /** The consumer group; its members share the events, and every group sees every event. */
  group: string;
  /** Logical topic names. */
  topics: readonly string[];
  handler: EventHandler;
  /** Unacknowledged events this member may hold. Default 16. */
  prefetch?: number;
  /**
   * Tries for a handler that throws an error that is not an AirlockError; then the event is
   * dead-lettered with the error. An AirlockError with `retriable: true` (a database that is down) is
   * retried for as long as the subscription is open; one with `retriable: false` is dead-lettered at
   * once. Default 5.
   */
  attempts?: number;
  backoff?: BackoffPolicy;
  /** Only events with these keys. */
  keys?: readonly string[];
  /** A private subscription that disappears when closed and sees only events published after it. */
  ephemeral?: boolean;
  /**
   * Default true: a key's next event reaches the handler only after the handler finished with the one
   * before. false: events reach the handler as they arrive, a key's several at once (still called in
   * arrival order) — for a handler that keeps order itself and gains from seeing many events together,
   * like audit's batcher, whose appends would otherwise be capped at one per key per commit.
   */
  ordered?: boolean;
  /**
   * Default false. true: this group is bookkeeping that no caller waits on (the audit log): the broker may
   * deliver its events up to BACKGROUND_DELAY_MS late, in batches, so that in a process it shares with
   * services on an agent's path its work comes ten times a second rather than beside every call's.
   */
  background?: boolean;
}

/** A running subscription. */
export interface Subscription {
  /** Stop; events in flight finish first. Idempotent. */
  close(): Promise<void>;
}

/** Told of what a transport moves, for metrics. Called synchronously; must not throw. */
export interface TransportObserver {
  published?(topic: string): void;
  handled?(topic: string, group: string): void;
  deadLettered?(topic: string, group: string): void;
}

/** Options of a {@link Transport}. */
export interface TransportOptions {
  logger: Logger;
  observer?: TransportObserver;
  /**
   * Prefixed to every topic and group name on the wire (`<namespace>.airlock.tool-calls`), so tests and
   * several deployments can share one broker without seeing each other.
   */
  namespace?: string;
}

/** Publish options. */
export interface PublishOptions {
  /** Logical topic; default: the event type's topic (DESIGN.md), e.g. a call's `reply_to` for verdicts. */
  topic?: string;
  /** Ordering key; default: the event type's key field (agent_id, request_id …). */
  key?: string;
}

/** Counters for /metrics. */
export interface TransportStats {
  published: number;
  consumed: number;
  handlerErrors: number;
  deadLettered: number;
}

/**
 * Airlock's messaging, the same over every broker: events are validated on publish and on receipt, an
 * invalid one goes to `airlock.dead-letter` with its reason and is never retried, a handler that throws
 * is retried with backoff, events of one key reach a member's handler in order (one at a time, unless
 * the subscription says `ordered: false`), and an event is acknowledged only after its handler
 * succeeded (at-least-once; handlers are idempotent).
 */
export class Transport {
  readonly stats: TransportStats = { published: 0, consumed: 0, handlerErrors: 0, deadLettered: 0 };
  readonly #adapter: BrokerAdapter;
  readonly #log: Logger;
  readonly #prefix: string;
  readonly #observer: TransportObserver;
  readonly #subscriptions = new Set<Subscription>();
  #closing: Promise<void> | undefined;

  constructor(adapter: BrokerAdapter, options: TransportOptions) {
    this.#adapter = adapter;
    this.#log = options.logger.child({ module: "transport", broker: adapter.kind });
    this.#prefix = options.namespace ? `${options.namespace}.` : "";
    this.#observer = options.observer ?? {};
  }

  /** memory, amqp or kafka. */
  get kind(): BrokerAdapter["kind"] {
    return this.#adapter.kind;
  }

  /** Whether the broker connection is up now (for /readyz). */
  isConnected(): boolean {
    return !this.#closing && (this.#adapter.isConnected?.() ?? true);
  }

  /** Connect and declare Airlock's topics. */
  async start(): Promise<void> {
    await this.#adapter.start(ALL_TOPICS.map((topic) => this.physical(topic)));
    await this.#adapter.declareGroups?.(
      Object.values(CONSUMER_GROUPS).map(({ group, topics }) => ({
        group: this.physical(group),
        topics: topics.map((topic) => this.physical(topic)),
      })),
    );
  }

  /** The name a logical topic or group has on the wire. */
  physical(name: string): string {
    return this.#prefix + name;
  }

  /** Publish a valid event; resolves when the broker has it. */
  async publish(event: AirlockEvent, options: PublishOptions = {}): Promise<void> {
    const topic = options.topic ?? EVENT_TYPES[event.type].topic;
    const key = options.key ?? keyOf(event.type, event.data as never);
    const bytes = Buffer.from(JSON.stringify(event), "utf8");
    if (bytes.byteLength > MAX_EVENT_BYTES) {
      throw new AirlockError(
        `${event.type} ${event.id} is ${bytes.byteLength} bytes; the limit is ${MAX_EVENT_BYTES}`,
        {
          code: "payload_too_large",
          retriable: false,
        },
      );
    }
    await this.#adapter.publish(this.physical(topic), key, bytes);
    this.stats.published++;
    this.#observer.published?.(topic);
  }

  /** Publish bytes as they are, valid or not: for hostile-input tests and tools that relay raw messages. */
  async publishRaw(topic: string, key: string, value: Buffer | string): Promise<void> {
    await this.#adapter.publish(this.physical(topic), key, Buffer.isBuffer(value) ? value : Buffer.from(value));
  }

  /** Join a consumer group. Resolves when events published from now on reach the group. */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.#closing) throw new AirlockError("transport is closed", { code: "closed", retriable: false });
    const stopping = new AbortController();
    const log = this.#log.child({ group: options.group });
    const deliver = (message: RawMessage): Promise<void> => this.#deliver(message, options, stopping.signal, log);
    const handle = options.ordered === false ? deliver : inKeyOrder(deliver);
    const consumer: RawConsumer = await this.#adapter.consume(
      {
        group: this.physical(options.group),
        topics: options.topics.map((topic) => this.physical(topic)),
        prefetch: options.prefetch ?? 16,
        ...(options.keys ? { keys: options.keys } : {}),
        ...(options.ephemeral ? { ephemeral: true } : {}),
        ...(options.ordered === false ? { ordered: false } : {}),
        ...(options.background ? { background: true } : {}),
      },
      handle,
    );
    let closed: Promise<void> | undefined;
    const subscription: Subscription = {
      close: () => {
        closed ??= (async () => {
          stopping.abort();
          this.#subscriptions.delete(subscription);
          await consumer.close();
        })();
        return closed;
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Close every subscription, then the connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const results = await Promise.allSettled([...this.#subscriptions].map((s) => s.close()));
      for (const result of results) {
        if (result.status === "rejected") this.#log.error({ err: result.reason }, "closing a subscription failed");
      }
      await this.#adapter.close();
    })();
    return this.#closing;
  }

  async #deliver(message: RawMessage, options: SubscribeOptions, stopping: AbortSignal, log: Logger): Promise<void> {
    const topic = this.#logical(message.topic);
    const parsed = parseEvent(message.value);
    if (!parsed.ok) {
      await this.#deadLetter(message, options.group, parsed.reason, log);
      return;
    }
    const { event } = parsed;
    this.stats.consumed++;
    const attempts = options.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      if (stopping.aborted)
        throw new AirlockError("subscription closed; left for redelivery", { code: "closed", retriable: true });
      try {
        await options.handler(event, { topic, key: message.key, attempt, redelivered: message.redelivered });
        this.#observer.handled?.(topic, options.group);
        return;
      } catch (error) {
        this.stats.handlerErrors++;
        const context = { err: error, event_id: event.id, type: event.type, subject: event.subject, attempt };
        if (error instanceof PoisonMessageError || (error instanceof AirlockError && !error.retriable)) {
          log.warn(context, "handler refused the event; dead-lettering it");
          await this.#deadLetter(message, options.group, error.message, log);
          return;
        }
        const endless = error instanceof AirlockError && error.retriable;
        if (!endless && attempt >= attempts) {
          log.error(context, "handler failed on every attempt; dead-lettering the event");
          await this.#deadLetter(message, options.group, `handler failed ${attempt} times: ${describe(error)}`, log);
          return;
        }
        const wait = backoffDelay(attempt, options.backoff ?? DEFAULT_BACKOFF);
        log.warn({ ...context, retry_in_ms: wait }, "handler failed; retrying");
        await delay(wait, stopping);
      }
    }
  }

  async #deadLetter(message: RawMessage, group: string, reason: string, log: Logger): Promise<void> {
    const raw = message.value.subarray(0, DEAD_LETTER_RAW_BYTES).toString("utf8");
    const event = createEvent({
      type: "airlock.dead_letter",
      source: `airlock/${group}`,
      data: {
        topic: this.#logical(message.topic),
        consumer: group,
        reason: reason.slice(0, 4000),
        raw,
        raw_bytes: message.value.byteLength,
      },
    });
    log.warn({ topic: message.topic, reason: event.data.reason, event_id: event.id }, "dead-lettered a message");
    await this.#adapter.publish(
      this.physical(TOPICS.deadLetter),
      event.data.consumer,
      Buffer.from(JSON.stringify(event)),
    );
    this.stats.deadLettered++;
    this.#observer.deadLettered?.(event.data.topic, group);
  }

  #logical(physical: string): string {
    return this.#prefix && physical.startsWith(this.#prefix) ? physical.slice(this.#prefix.length) : physical;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An event type's default topic. */
export function topicOf(type: EventType): string {
  return EVENT_TYPES[type].topic;
}

/** `deliver`, one message per key at a time, each key's in the order they came. */
function inKeyOrder(deliver: (message: RawMessage) => Promise<void>): (message: RawMessage) => Promise<void> {
  const serial = new KeyedSerial();
  return (message) => serial.run(message.key, () => deliver(message));
}
