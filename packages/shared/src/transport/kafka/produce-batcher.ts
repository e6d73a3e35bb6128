import { isRetriable } from "../../errors.js";

/** One message for Kafka. */
export interface ProduceMessage {
  topic: string;
  key: string;
  value: Buffer;
}

/** How the batcher reaches the broker; each rejects with an Airlock fault that says whether to retry. */
export interface ProduceSender {
  /** One request with these messages, in this order (kafkajs `sendBatch`). */
  batch(messages: readonly ProduceMessage[]): Promise<void>;
  /** One request with one message (kafkajs `send`). */
  one(message: ProduceMessage): Promise<void>;
}

/** Bounds of one request. The broker's default limit is 1 MB per partition's batch; stay well under it. */
export const PRODUCE_BATCH_LIMITS = { messages: 500, bytes: 900 * 1024 } as const;

interface Waiting extends ProduceMessage {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the producer. The idempotent producer keeps one request in flight per broker, so
 * every publish of the process waits for the one before it: a decision's `policy.decided` and its
 * verdict took two round trips, one after the other, and a busy process queued behind itself. Here the
 * publishes of one turn of the event loop go out together when nothing is in flight, and whatever is
 * published while a request is in flight goes out together in the next one — no added wait, one round
 * trip for many messages, and the order of publishes kept (kafkajs keeps a request's messages in order
 * per partition).
 *
 * A request that fails for a reason worth retrying (the broker is away) fails every message in it, and
 * each caller retries. One the broker refused for good is sent again a message at a time, so that only
 * the message at fault is refused (the outbox dead-letters what is refused for good: never an innocent
 * neighbour).
 */
export class ProduceBatcher {
  readonly #send: ProduceSender;
  #queue: Waiting[] = [];
  #running = false;

  constructor(send: ProduceSender) {
    this.#send = send;
  }

  publish(message: ProduceMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ...message, resolve, reject });
      if (this.#running) return;
      // On the next turn, not now: publishes made together (a decision and its verdict, each a few
      // awaits deep in its caller) then share the first request instead of the second waiting for it.
      this.#running = true;
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#sendNext(this.#take());
    } finally {
      this.#running = false;
    }
  }

  /** The oldest waiting messages, as many as one request may carry (at least one). */
  #take(): Waiting[] {
    let bytes = 0;
    let count = 0;
    for (const message of this.#queue) {
      const size = message.value.length + Buffer.byteLength(message.key);
      if (count > 0 && (count >= PRODUCE_BATCH_LIMITS.messages || bytes + size > PRODUCE_BATCH_LIMITS.bytes)) break;
      bytes += size;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #sendNext(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      await settle(batch[0]!, this.#send.one(batch[0]!));
      return;
    }
    try {
      await this.#send.batch(batch);
    } catch (error) {
      if (isRetriable(error)) {
        for (const message of batch) message.reject(error);
        return;
      }
      for (const message of batch) await settle(message, this.#send.one(message));
      return;
    }
    for (const message of batch) message.resolve();
  }
}

async function settle(waiting: Waiting, sent: Promise<void>): Promise<void> {
  try {
    await sent;
    waiting.resolve();
  } catch (error) {
    waiting.reject(error);
  }
}
