import { connect, type ChannelModel, type RecoveringChannelModel } from "amqplib";
import { UnavailableError } from "../../errors.js";
import { backoffDelay, type BackoffPolicy } from "../../lifecycle/backoff.js";
import { redactUrl, type Logger } from "../../lifecycle/logger.js";

/** Options of an {@link AmqpConnection}. */
export interface AmqpConnectionOptions {
  /** Shown as the connection's name in the RabbitMQ management UI and `rabbitmqctl list_connections`. */
  clientId: string;
  log: Logger;
  /** Waits between connection attempts, first connection and reconnections alike. */
  backoff: BackoffPolicy;
  /** Attempts before the first connection gives up. Once connected, reconnection never gives up. */
  connectAttempts: number;
}

/** Called with the new connection each time one is established (the first time and after every loss). */
export type ConnectListener = (model: ChannelModel) => void;

/**
 * One connection to RabbitMQ that comes back by itself. amqplib's opt-in recovery (since 1.1) reopens the
 * connection, with delays from our shared backoff helper; it does not reopen channels, re-declare
 * topology or re-create consumers — that is {@link ManagedChannel}'s work, started from {@link onConnect}.
 */
export class AmqpConnection {
  readonly #url: string;
  readonly #options: AmqpConnectionOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<ConnectListener>();
  #recovering: RecoveringChannelModel | undefined;
  #current: ChannelModel | undefined;
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(url: string, options: AmqpConnectionOptions) {
    this.#url = url;
    this.#options = options;
    this.#log = options.log;
  }

  /** The live connection, or undefined while (re)connecting. */
  get current(): ChannelModel | undefined {
    return this.#current;
  }

  /** Connect, if not yet done; rejects with an UnavailableError when the first connection cannot be made. */
  open(): Promise<void> {
    if (this.#closing) return Promise.reject(new UnavailableError("the RabbitMQ connection is closed"));
    this.#opening ??= this.#connect().catch((error: unknown) => {
      // A later call tries again from scratch: amqplib's recovery gives up for good once its budget is spent.
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  /** Call `listener` with each new connection; returns a function that stops it. */
  onConnect(listener: ConnectListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Close the connection (channels still open close with it) and stop reconnecting. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#current = undefined;
      this.#listeners.clear();
      await this.#recovering?.close();
    })();
    return this.#closing;
  }

  async #connect(): Promise<void> {
    const url = redactUrl(this.#url);
    const recovering = await connect(this.#url, {
      clientProperties: { connection_name: this.#options.clientId },
      // Small frames go out at once. With Nagle's algorithm on (amqplib's default), a publish written
      // while an earlier one is unacknowledged waits for the server's delayed ACK: ~40 ms per hop.
      noDelay: true,
      // TCP connect timeout (ms); a broker that accepts but never answers counts as a failed attempt.
      timeout: 10_000,
      recovery: {
        // Resolve at once, so every listener below is in place before the first attempt reports anything.
        waitForConnect: false,
        initialMaxRetries: Math.max(0, this.#options.connectAttempts - 1),
        maxRetries: Infinity,
        calculateDelay: (attempt) => backoffDelay(attempt, this.#options.backoff),
      },
    });
    if (this.#closing) {
      await recovering.close();
      throw new UnavailableError("the RabbitMQ connection was closed while it opened");
    }
    this.#recovering = recovering;
    let connectedOnce = false;
    recovering.on("connect", (model: ChannelModel) => {
      this.#current = model;
      if (connectedOnce) this.#log.info({ url }, "reconnected to RabbitMQ");
      else this.#log.info({ url, connection_name: this.#options.clientId }, "connected to RabbitMQ");
      connectedOnce = true;
      for (const listener of this.#listeners) listener(model);
    });
    recovering.on("disconnect", (error: Error) => {
      this.#current = undefined;
      this.#log.warn({ err: error, url }, "lost the connection to RabbitMQ; reconnecting");
    });
    recovering.on("connect-failed", (error: Error) =>
      this.#log.warn({ err: error, url }, "could not connect to RabbitMQ"),
    );
    recovering.on("reconnect-scheduled", (info: { attempt: number; delay: number }) =>
      this.#log.info({ url, attempt: info.attempt, retry_in_ms: info.delay }, "connecting to RabbitMQ again"),
    );
    recovering.on("reconnect-failed", (error: Error) =>
      this.#log.error({ err: error, url }, "gave up connecting to RabbitMQ"),
    );
    // Without a listener, an 'error' event would be thrown and take the process down with the broker.
    recovering.on("error", (error: Error) => this.#log.warn({ err: error, url }, "RabbitMQ connection error"));
    recovering.on("handler-error", (error: Error, event: string) =>
      this.#log.error({ err: error, event }, "a RabbitMQ connection event handler threw"),
    );
    recovering.on("blocked", (reason: string) =>
      this.#log.warn({ url, reason }, "RabbitMQ blocked publishing (resource alarm); publishes wait"),
    );
    recovering.on("unblocked", () => this.#log.info({ url }, "RabbitMQ unblocked publishing"));
    try {
      await recovering.waitForConnect();
    } catch (error) {
      throw new UnavailableError(`RabbitMQ at ${url} did not answer after ${this.#options.connectAttempts} attempts`, {
        cause: error,
      });
    }
  }
}
