import type { Logger } from "../../lifecycle/logger.js";
import type { Generation } from "./incarnation.js";

/**
 * How long a finished message's position waits before it is committed. Committing each at once cost an
 * OffsetCommit request per message per consumer group — the most frequent request of a busy process
 * (bench/e2e on Kafka: more than Fetch and Produce together), each a socket write on the critical path of
 * whatever the event loop does next. A position committed later only means that the messages finished in
 * the last COMMIT_DELAY_MS are read again by the partition's next owner when this member crashes or loses
 * the partition in a rebalance — which every handler copes with already (at least once). Kafka's own
 * clients wait 5 s by default.
 */
export const COMMIT_DELAY_MS = 100;

/**
 * Commits a member's positions: one OffsetCommit request at a time, at most one per COMMIT_DELAY_MS, each
 * carrying everything that finished since the last, so a stream of finished messages costs ten requests a
 * second, not one each. Closing flushes at once.
 */
export class Committer {
  readonly #current: () => Generation | undefined;
  readonly #log: Logger;
  #running: Promise<void> | undefined;
  /** A message finished while a request was on the wire: commit again, a delay after it. */
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  /** `current` is the member's generation now; only its positions are committed. */
  constructor(current: () => Generation | undefined, log: Logger) {
    this.#current = current;
    this.#log = log;
  }

  /** Commit soon: COMMIT_DELAY_MS from now, or from the end of the request on the wire. */
  schedule(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#commit().finally(() => {
        this.#running = undefined;
        if (!this.#again) return;
        this.#again = false;
        this.schedule();
      });
    }, COMMIT_DELAY_MS);
  }

  /** Commit everything that moved, now, after any request on the wire. Never rejects. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#again = false;
    await this.#commit();
  }

  /** One request with every position that moved. */
  async #commit(): Promise<void> {
    const generation = this.#current();
    if (!generation || generation.incarnation.dead) return;
    const positions = generation.book.uncommitted();
    if (positions.length === 0) return;
    try {
      await generation.incarnation.consumer.commitOffsets(positions);
      generation.book.committed(positions);
    } catch (error) {
      // Left uncommitted: read again by whoever owns the partition next. The next finished message tries again.
      this.#log.warn({ err: error, positions }, "committing offsets failed");
    }
  }
}
