import type { Channel, ChannelModel } from "amqplib";
import { AirlockError, UnavailableError } from "../../errors.js";
import { backoffDelay, type BackoffPolicy } from "../../lifecycle/backoff.js";
import type { Logger } from "../../lifecycle/logger.js";
import type { AmqpConnection } from "./connection.js";

/** How a {@link ManagedChannel} opens and prepares its channel. */
export interface ManagedChannelOptions<C extends Channel> {
  /** For log lines. */
  name: string;
  open: (model: ChannelModel) => Promise<C>;
  /**
   * Declares what the channel needs (exchanges, queues, bindings, consumers). Runs on every new channel —
   * after each reconnect and after a channel error — so it must be idempotent.
   */
  setup: (channel: C) => Promise<void>;
  log: Logger;
  backoff: BackoffPolicy;
}

interface Waiter<C> {
  resolve: (channel: C) => void;
  reject: (error: Error) => void;
}

/**
 * A channel that outlives the channels under it, as amqp-connection-manager's ChannelWrapper does:
 * opened and set up whenever the connection (re)connects, reopened after a channel-level error, and
 * handed out only once its setup has finished.
 */
export class ManagedChannel<C extends Channel> {
  readonly #connection: AmqpConnection;
  readonly #options: ManagedChannelOptions<C>;
  readonly #log: Logger;
  readonly #waiters = new Set<Waiter<C>>();
  readonly #stopListening: () => void;
  #channel: C | undefined;
  #opening = false;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #everReady = false;
  #stopped = false;
  #closing: Promise<void> | undefined;

  constructor(connection: AmqpConnection, options: ManagedChannelOptions<C>) {
    this.#connection = connection;
    this.#options = options;
    this.#log = options.log.child({ channel: options.name });
    this.#stopListening = connection.onConnect(() => void this.#open());
    void this.#open();
  }

  /** The channel, set up; waits for it until `deadline` (epoch ms), then rejects with an UnavailableError. */
  ready(deadline: number, signal?: AbortSignal): Promise<C> {
    if (this.#channel) return Promise.resolve(this.#channel);
    if (this.#stopped) return Promise.reject(closedError(this.#options.name));
    return new Promise<C>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter<C> = {
        resolve: (channel) => {
          done();
          resolve(channel);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const abort = (): void => waiter.reject(closedError(this.#options.name));
      const timer = setTimeout(
        () => waiter.reject(new UnavailableError(`RabbitMQ ${this.#options.name}: no channel within the time allowed`)),
        Math.max(0, deadline - Date.now()),
      );
      if (signal?.aborted) return abort();
      signal?.addEventListener("abort", abort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Close this channel (if it is still the current one) so that a fresh one is opened and set up. */
  recycle(channel: C): void {
    if (channel !== this.#channel) return;
    void channel
      .close()
      .catch((error: unknown) => this.#log.debug({ err: error }, "closing a channel to recycle it failed"));
  }

  /** Open no channel any more; the current one stays open (for acks) until {@link close}. */
  stop(): C | undefined {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#stopListening();
      clearTimeout(this.#timer);
      for (const waiter of [...this.#waiters]) waiter.reject(closedError(this.#options.name));
    }
    return this.#channel;
  }

  /** Stop, and close the current channel. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const channel = this.stop();
      this.#channel = undefined;
      if (channel) await closeQuietly(channel, this.#log);
    })();
    return this.#closing;
  }

  async #open(): Promise<void> {
    const model = this.#connection.current;
    if (!model || this.#stopped || this.#opening || this.#channel) return;
    this.#opening = true;
    let channel: C | undefined;
    let failure: unknown;
    try {
      channel = await this.#options.open(model);
      const opened = channel;
      // A channel error with no listener would be thrown: the broker closing one channel must not crash us.
      opened.on("error", (error: Error) => this.#log.warn({ err: error }, "RabbitMQ closed the channel"));
      opened.on("close", () => this.#closed(opened));
      await this.#options.setup(opened);
      if (this.#stopped) {
        // Stopped while setting up: this channel was never handed out.
        await closeQuietly(opened, this.#log);
        return;
      }
      this.#channel = opened;
      this.#failures = 0;
      this.#everReady = true;
      for (const waiter of [...this.#waiters]) waiter.resolve(opened);
    } catch (error) {
      failure = error;
    } finally {
      this.#opening = false;
    }
    if (failure === undefined) return;
    this.#failures++;
    this.#log.warn({ err: failure, failures: this.#failures }, "could not set up a RabbitMQ channel");
    if (channel) await closeQuietly(channel, this.#log);
    if (!this.#everReady && isRequestError(failure)) {
      // The first setup was refused for what it asked (a queue declared with other arguments, an
      // exclusive queue held by another connection): waiting will not change the answer.
      const error = new AirlockError(`RabbitMQ refused to set up ${this.#options.name}: ${describe(failure)}`, {
        code: "broker_refused",
        retriable: false,
        cause: failure,
      });
      for (const waiter of [...this.#waiters]) waiter.reject(error);
    }
    this.#schedule(backoffDelay(this.#failures, this.#options.backoff));
  }

  #closed(channel: C): void {
    if (channel !== this.#channel) return;
    this.#channel = undefined;
    if (this.#stopped) return;
    // A connection closes its channels before it reports its own close; look once it has, so a dead
    // connection waits for the reconnect instead of being asked for a channel.
    queueMicrotask(() => {
      if (!this.#connection.current) return;
      this.#log.info("channel closed while connected; opening a new one");
      this.#schedule(backoffDelay(this.#failures + 1, this.#options.backoff));
    });
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#open();
    }, delayMs);
  }
}

/**
 * AMQP soft errors caused by the request itself — 403 access refused, 404 not found, 405 resource
 * locked, 406 precondition failed (AMQP 0-9-1 §1.9) — as opposed to a connection that went away.
 */
export function isRequestError(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = error.code;
  return typeof code === "number" && code >= 403 && code <= 406;
}

async function closeQuietly(channel: Channel, log: Logger): Promise<void> {
  try {
    await channel.close();
  } catch (error) {
    // Already closed with its connection, or by the broker: nothing is left to release.
    log.debug({ err: error }, "channel was already closed");
  }
}

function closedError(name: string): AirlockError {
  return new AirlockError(`RabbitMQ ${name} is closed`, { code: "closed", retriable: false });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
