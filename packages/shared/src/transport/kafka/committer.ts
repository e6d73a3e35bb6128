import type { Logger } from "../../lifecycle/logger.js";
import type { Generation } from "./incarnation.js";

/**
 * Commits a member's positions: one OffsetCommit request at a time, and whatever moves while one is on the wire
 * goes in the next, so a burst of finished messages costs a few requests, not one each.
 */
export class Committer {
  readonly #current: () => Generation | undefined;
  readonly #log: Logger;
  #running: Promise<void> | undefined;
  #again = false;

  /** `current` is the member's generation now; only its positions are committed. */
  constructor(current: () => Generation | undefined, log: Logger) {
    this.#current = current;
    this.#log = log;
  }

  /** Commit soon: now, or right after the request on the wire. */
  schedule(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#commit().finally(() => {
      this.#running = undefined;
      if (this.#again) this.schedule();
    });
  }

  /** Commit everything that moved, after any request on the wire. Never rejects. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    await this.#commit();
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
