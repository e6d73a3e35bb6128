import type { Channel, ConsumeMessage } from "amqplib";

/**
 * How long a handled message waits for its ack to be sent, in company. Each ack is a socket write, and a
 * write costs the event loop tens of microseconds on a busy machine — with every service in one process,
 * a call's deliveries (policy, audit ×3, approvals, the gateway, the agent) and their acks were a good
 * share of its latency (BENCHMARKS.md, e2e). Waiting this long folds the acks of one channel into one
 * `basic.ack` with `multiple` set. A message's ack can only be lost with its channel, and then the broker
 * redelivers it (flagged `redelivered`; consumers are idempotent) — as it would if the process died a
 * moment before acking. Unacknowledged messages count against the prefetch for this long too.
 */
export const ACK_DELAY_MS = 10;

/** A delivered message, as the queue tracks it. */
export interface Outstanding {
  message: ConsumeMessage;
  done: boolean;
}

/**
 * The acks of one channel, sent together: every `ACK_DELAY_MS`, one `ack(…, allUpTo)` for the longest run of
 * handled messages from the oldest outstanding one, then single acks for handled messages past a
 * message still being handled. Nacks go at once, so a message returned to the queue is retried soon.
 */
export class AckQueue {
  readonly #channel: Channel;
  readonly #onError: (error: unknown) => void;
  /** In delivery order (delivery tags rise on a channel). */
  #outstanding: Outstanding[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(channel: Channel, onError: (error: unknown) => void) {
    this.#channel = channel;
    this.#onError = onError;
  }

  /** A message delivered on this channel: call before its handler runs. */
  received(message: ConsumeMessage): Outstanding {
    const entry = { message, done: false };
    this.#outstanding.push(entry);
    return entry;
  }

  /** Its handler succeeded: ack it with the next batch. */
  ack(entry: Outstanding): void {
    entry.done = true;
    this.#timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
  }

  /** Its handler failed: return it to the queue now. */
  nack(entry: Outstanding): void {
    this.#outstanding = this.#outstanding.filter((other) => other !== entry);
    this.#send(() => this.#channel.nack(entry.message, false, true));
  }

  /** Send every ack due now (the timer's job; also before the channel closes). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    let run = 0;
    while (run < this.#outstanding.length && this.#outstanding[run]!.done) run++;
    if (run > 0) {
      const last = this.#outstanding[run - 1]!.message;
      this.#send(() => this.#channel.ack(last, run > 1));
    }
    const rest = this.#outstanding.slice(run);
    for (const entry of rest) if (entry.done) this.#send(() => this.#channel.ack(entry.message));
    this.#outstanding = rest.filter((entry) => !entry.done);
  }

  #send(send: () => void): void {
    try {
      send();
    } catch (error) {
      // The channel has closed (connection lost, consumer closing): the broker redelivers what it held.
      this.#onError(error);
    }
  }
}
