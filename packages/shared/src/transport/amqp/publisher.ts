import { setMaxListeners } from "node:events";
import type { ConfirmChannel } from "amqplib";
import { AirlockError, UnavailableError } from "../../errors.js";
import { backoffDelay, delay, type BackoffPolicy } from "../../lifecycle/backoff.js";
import type { Logger } from "../../lifecycle/logger.js";
import type { AmqpConnection } from "./connection.js";
import { isRequestError, ManagedChannel } from "./managed-channel.js";
import { probeTopic, RefusedTopics } from "./topic-probe.js";

/** How many topics a new channel declares again up front. */
const MAX_REDECLARED = 4096;
import { declareGroup, declareTopic, MAX_ROUTING_KEY_BYTES } from "./topology.js";

/** Options of an {@link AmqpPublisher}. */
export interface AmqpPublisherOptions {
  log: Logger;
  backoff: BackoffPolicy;
  /** How long a publish may wait for the broker (a reconnection included) before it fails, in ms. */
  timeoutMs: number;
}

/**
 * Publishes over one confirm channel. A publish resolves when the broker confirmed it; while the
 * connection is down it waits (up to `timeoutMs`) and goes out on the next channel; one interrupted
 * before its confirm is sent again — at least once: the broker may have had it, and consumers are
 * idempotent. Every topic it declared is re-declared on each new channel; a topic is declared first on a
 * channel of its own ({@link probeTopic}), so one the broker refuses never joins that set, never breaks
 * the channel other publishes use, and is remembered: publishing to it again fails at once, for a while
 * (a minute: REFUSAL_TTL_MS in topic-probe.ts).
 */
export class AmqpPublisher {
  readonly #options: AmqpPublisherOptions;
  readonly #connection: AmqpConnection;
  readonly #channel: ManagedChannel<ConfirmChannel>;
  // Topics RabbitMQ has declared for this publisher: only these are re-declared on a new channel.
  readonly #topics = new Set<string>();
  readonly #refused = new RefusedTopics();
  // Which topics each channel has declared: a topic first seen while that channel was up is declared on it.
  readonly #declared = new WeakMap<ConfirmChannel, Set<string>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  #drained: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(connection: AmqpConnection, options: AmqpPublisherOptions) {
    this.#options = options;
    this.#connection = connection;
    // Every publish waiting out a reconnection listens on this signal: hundreds may, legitimately.
    setMaxListeners(0, this.#stopping.signal);
    this.#channel = new ManagedChannel(connection, {
      name: "publisher",
      log: options.log,
      backoff: options.backoff,
      open: (model) => model.createConfirmChannel(),
      setup: async (channel) => {
        const declared = new Set<string>();
        this.#declared.set(channel, declared);
        for (const topic of this.#topics) {
          try {
            await declareTopic(channel, topic);
          } catch (error) {
            // Declared once, refused now (its permissions were taken away): drop it, or every new channel
            // would be refused in turn. The channel is gone with the refusal; the next one is set up without it.
            if (isRequestError(error)) {
              this.#topics.delete(topic);
              this.#refused.add(topic, describe(error), true);
            }
            throw error;
          }
          declared.add(topic);
        }
      },
    });
  }

  /** Declare topics now, and again after every reconnect. */
  declare(topics: readonly string[]): Promise<void> {
    return this.#track(() => this.#withChannel("declaring topics", (channel) => this.#declareOn(channel, topics)));
  }

  /** Declare durable consumer groups (their queues and bindings) before any member runs. */
  declareGroups(groups: ReadonlyArray<{ group: string; topics: readonly string[] }>): Promise<void> {
    return this.#track(() =>
      this.#withChannel("declaring consumer groups", async (channel) => {
        for (const { group, topics } of groups) await declareGroup(channel, { group, topics, prefetch: 1 });
      }),
    );
  }

  /** Publish one persistent message; resolves when the broker confirmed it. */
  publish(topic: string, key: string, value: Buffer): Promise<void> {
    if (Buffer.byteLength(key) > MAX_ROUTING_KEY_BYTES) {
      return Promise.reject(
        new AirlockError(`a RabbitMQ routing key holds at most ${MAX_ROUTING_KEY_BYTES} bytes`, {
          code: "key_too_long",
          retriable: false,
        }),
      );
    }
    const refused = this.#refused.reason(topic);
    if (refused !== undefined) return Promise.reject(this.#refused.error(topic, refused));
    return this.#track(() =>
      this.#withChannel(`publishing to ${topic}`, async (channel) => {
        await this.#declareOn(channel, [topic]);
        await this.#drained;
        await this.#confirmed(channel, topic, key, value);
      }),
    );
  }

  /** Refuse new publishes, let those holding a channel get their confirms, close the channel. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Publishes still waiting for a connection fail now rather than hold the stop up.
      this.#stopping.abort();
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      await this.#channel.close();
    })();
    return this.#closing;
  }

  // Start `run` unless closing, and remember it until it settles, so close() can wait for it.
  #track(run: () => Promise<void>): Promise<void> {
    if (this.#closing)
      return Promise.reject(new AirlockError("RabbitMQ publisher is closed", { code: "closed", retriable: false }));
    const work = run();
    this.#inFlight.add(work);
    const forget = (): void => void this.#inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  // Run `task` on the current channel; when the channel goes away under it, run it again on the next one.
  async #withChannel(what: string, task: (channel: ConfirmChannel) => Promise<void>): Promise<void> {
    const deadline = Date.now() + this.#options.timeoutMs;
    const signal = this.#stopping.signal;
    for (let attempt = 1; ; attempt++) {
      const channel = await this.#channel.ready(deadline, signal);
      try {
        await task(channel);
        return;
      } catch (error) {
        // A topic the broker refused, or a publisher closing: asking again changes nothing.
        if (error instanceof AirlockError && !error.retriable) throw error;
        if (isNack(error)) {
          throw new AirlockError(`RabbitMQ refused the message (nack) ${what}`, {
            code: "publish_nacked",
            retriable: true,
            cause: error,
          });
        }
        if (isRequestError(error)) {
          throw new AirlockError(`RabbitMQ refused ${what}: ${describe(error)}`, {
            code: "broker_refused",
            retriable: false,
            cause: error,
          });
        }
        if (signal.aborted)
          throw new AirlockError(`RabbitMQ publisher closed while ${what}`, {
            code: "closed",
            retriable: false,
            cause: error,
          });
        if (Date.now() >= deadline)
          throw new UnavailableError(`RabbitMQ did not confirm in time while ${what}`, { cause: error });
        this.#options.log.info({ err: error, attempt }, `channel lost while ${what}; trying again on the next one`);
        // A channel that is closing but has not said so yet would fail again at once: wait a little.
        await delay(backoffDelay(attempt, this.#options.backoff), signal);
      }
    }
  }

  async #declareOn(channel: ConfirmChannel, topics: readonly string[]): Promise<void> {
    const declared = this.#declared.get(channel);
    for (const topic of topics) {
      if (declared?.has(topic)) continue;
      const refused = this.#refused.reason(topic);
      if (refused !== undefined) throw this.#refused.error(topic, refused);
      // Publishing to an exchange that does not exist is a channel error (404): declare it first — a new
      // name on a probe channel, so that a refusal costs that channel only.
      if (!this.#topics.has(topic)) {
        await probeTopic(this.#connection.current, topic, this.#refused, this.#options.log);
        this.#topics.add(topic);
        // Every agent may name reply topics of its own: re-declare on each new channel only the newest few
        // thousand (the others are declared again when next published to), so a reconnect stays quick.
        if (this.#topics.size > MAX_REDECLARED) this.#topics.delete(this.#topics.values().next().value as string);
      }
      declared?.add(topic);
    }
  }

  #confirmed(channel: ConfirmChannel, topic: string, key: string, value: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const flowing = channel.publish(topic, key, value, { persistent: true }, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error("publish failed")) : resolve(),
      );
      // The socket's buffer is full: later publishes wait for it to drain (or for the channel to go).
      if (!flowing && !this.#drained) {
        this.#drained = new Promise<void>((done) => {
          const release = (): void => {
            channel.off("drain", release);
            channel.off("close", release);
            this.#drained = undefined;
            done();
          };
          channel.on("drain", release);
          channel.on("close", release);
        });
      }
    });
  }
}

// amqplib calls a confirm callback with Error("message nacked") for a basic.nack, and with
// Error("channel closed") when the channel went before the confirm (lib/channel.js).
function isNack(error: unknown): boolean {
  return error instanceof Error && error.message === "message nacked";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
