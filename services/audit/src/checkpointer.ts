import type { Logger, SignedCheckpoint, SqlClient } from "@airlock/shared";
import { CheckpointState } from "./checkpoint-state.js";
import { writeCheckpoint, type SignedState } from "./checkpoint-writer.js";
import type { AuditSigner } from "./signing-key.js";
import { latestCheckpoint } from "./store/checkpoints.js";
import { listChains } from "./store/log.js";

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  sql: SqlClient;
  signer: AuditSigner;
  logger: Logger;
  /** A checkpoint once this many entries were appended since the last one (AIRLOCK_CHECKPOINT_EVERY). */
  every: number;
  /** …and at least this often while anything was appended (AIRLOCK_CHECKPOINT_INTERVAL). */
  intervalMs: number;
  /** Told after each checkpoint commits (publishing, metrics). */
  onCheckpoint?: (checkpoint: SignedCheckpoint) => void;
  /**
   * Where to keep what this signer signed last (beside its key, outside the database); default nowhere:
   * kept in memory for the life of the process only.
   */
  stateDir?: string;
}

/**
 * Decides when to checkpoint and runs one checkpoint at a time: after `every` entries (appends report
 * their new heads), on a timer for whatever arrived since, and once more on stop. Several instances may
 * checkpoint the same chain; the checkpoint lock makes them take turns, and an instance that finds
 * nothing new since the last checkpoint (by anyone) signs nothing.
 */
export class Checkpointer {
  readonly #options: CheckpointerOptions;
  readonly #log: Logger;
  /** tree_size of the latest checkpoint this instance knows of, per chain. */
  readonly #covered = new Map<string, number>();
  readonly #requested = new Set<string>();
  #everything = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #state: CheckpointState | undefined;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ module: "checkpointer" });
  }

  /** Learn where each chain's checkpoints stand, then arm the interval timer. */
  async start(): Promise<void> {
    this.#state = await CheckpointState.load(this.#options.stateDir);
    for (const chain of await listChains(this.#options.sql)) {
      this.#covered.set(chain, (await latestCheckpoint(this.#options.sql, chain))?.tree_size ?? 0);
    }
    this.#timer = setInterval(() => this.request(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** An append moved `chain`'s head to `size` entries: checkpoint when `every` have piled up. */
  noteAppended(chain: string, size: number): void {
    if (size - (this.#covered.get(chain) ?? 0) >= this.#options.every) this.request(chain);
  }

  /** Checkpoint `chain` (or every chain) soon. */
  request(chain?: string): void {
    if (this.#stopped) return;
    if (chain === undefined) this.#everything = true;
    else this.#requested.add(chain);
    this.#running ??= this.#loop();
  }

  /** Wait for the checkpoint in progress, then sign a last one over whatever is new. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      clearInterval(this.#timer);
      await this.idle();
      this.#everything = true;
      this.#running = this.#loop();
      await this.#running;
    })();
    return this.#stopping;
  }

  /** Resolves when no checkpoint is running or requested (tests). */
  async idle(): Promise<void> {
    for (let running = this.#running; running; running = this.#running) {
      await running;
      if (this.#running === running) break;
    }
  }

  async #loop(): Promise<void> {
    try {
      while (this.#everything || this.#requested.size > 0) {
        let chains: string[];
        if (this.#everything) {
          this.#everything = false;
          this.#requested.clear();
          chains = await listChains(this.#options.sql);
        } else {
          chains = [...this.#requested];
          this.#requested.clear();
        }
        for (const chain of chains) await this.#checkpoint(chain);
      }
    } catch (error) {
      this.#log.error({ err: error }, "listing chains to checkpoint failed; trying again at the next interval");
    } finally {
      this.#running = undefined;
    }
  }

  async #checkpoint(chain: string): Promise<void> {
    try {
      const state = this.#state ?? (this.#state = await CheckpointState.load(this.#options.stateDir));
      const kept = state.of(chain);
      let signedState: SignedState | undefined;
      const checkpoint = await writeCheckpoint(this.#options.sql, {
        chain,
        signer: this.#options.signer,
        now: new Date(),
        ...(kept ? { kept } : {}),
        keep: (next) => (signedState = next),
      });
      if (signedState) await state.keep(chain, signedState);
      if (checkpoint) {
        this.#covered.set(chain, checkpoint.tree_size);
        this.#log.info(
          { chain, tree_size: checkpoint.tree_size, root_hash: checkpoint.root_hash },
          "checkpoint signed",
        );
        this.#options.onCheckpoint?.(checkpoint);
      } else {
        const latest = await latestCheckpoint(this.#options.sql, chain);
        this.#covered.set(chain, latest?.tree_size ?? 0);
      }
    } catch (error) {
      // A damaged log is an alarm, not a retry: it stays damaged until someone looks at it.
      this.#log.error({ err: error, chain }, "checkpoint failed; trying again at the next interval");
    }
  }
}
