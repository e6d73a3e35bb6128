import type { Logger } from "../../lifecycle/logger.js";
import type { Generation } from "./incarnation.js";

/**
 * How long a finished message's position waits before it is committed. Committing each at once cost an
 * OffsetCommit request per message per consumer group — the most frequent request of a busy process
 * (bench/e2e on Kafka: more than Fetch and Produce together), each a socket write on the critical path of
 * whatever the event loop does next. A position committed later only means that a member crashing meanwhile
 * has those messages read again by the next owner, which every handler already copes with (at least once).
 * Kafka's own clients wait 5 s by default.
 */
export const COMMIT_DELAY_MS = 100;

/**
 * Commits a member's positions: at most one OffsetCommit request per COMMIT_DELAY_MS and one at a time, and
 * whatever moves meanwhile goes in the next, so a stream of finished messages costs a few requests, not one
 * each. Closing flushes at once.
 */
export class Committer {
  readonly #current: () => Generation | undefined;
  readonly #log: Logger;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  /** `current` is the member's generation now; only its positions are committed. */
  constructor(current: () => Generation | undefined, log: Logger) {
    this.#current = current;
    this.#log = log;
  }

  /** Commit soon: after COMMIT_DELAY_MS, or right after the request on the wire. */
  schedule(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, COMMIT_DELAY_MS);
  }

  /** Commit everything that moved, now, after any request on the wire. Never rejects. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#running) await this.#running;
    await this.#commit();
  }

  #start(): void {
    this.#running = this.#commit().finally(() => {
      this.#running = undefined;
      if (this.#again) this.schedule();
    });
  }

  async #commit(): Promise<void> {
    do {
      this.#again = false;
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
        return;
      }
    } while (this.#again);
  }
}
