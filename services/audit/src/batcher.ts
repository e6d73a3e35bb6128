import {
  AirlockError,
  PoisonMessageError,
  UnavailableError,
  PG_ERROR,
  isTransientSqlError,
  sqlState,
  toAirlockError,
  type AirlockEvent,
  type Logger,
  type SqlClient,
} from "@airlock/shared";
import { prepareEntry, type ChainHead, type PreparedEntry } from "./core/entry.js";
import { ChainAppender } from "./chain-appender.js";
import type { ChainAppend } from "./store/append.js";

/** Options of {@link AppendBatcher}. */
export interface BatcherOptions {
  sql: SqlClient;
  logger: Logger;
  /** Most entries per transaction. */
  maxSize: number;
  /**
   * How long the first entry of a batch waits for company; a full batch commits at once. 0: until the
   * next turn of the event loop. Either way a group commit: what arrives while a batch commits forms the
   * next batch. (The subscription must hand over several events of one key at once — `ordered: false` —
   * or a wait caps each key at one event per wait.)
   */
  maxDelayMs: number;
  /** Told after every commit, per chain, with the new head (checkpoint scheduling). */
  onCommitted?: (chain: string, head: ChainHead) => void;
}

interface Waiting {
  chain: string;
  entry: PreparedEntry;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Groups appends into transactions (a group commit): one batch commits at a time per instance, and what
 * arrives meanwhile — up to `maxSize` — is the next batch. Each `add` resolves only after the commit that
 * recorded it, so the transport acknowledges an event only once it is durable.
 */
export class AppendBatcher {
  readonly #options: BatcherOptions;
  readonly #log: Logger;
  readonly #appender: ChainAppender;
  #waiting: Waiting[] = [];
  /** Cancels the scheduled flush; `soon` says it runs on the next turn rather than after maxDelayMs. */
  #scheduled: { cancel: () => void; soon: boolean } | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(options: BatcherOptions) {
    this.#options = options;
    this.#log = options.logger.child({ module: "batcher" });
    this.#appender = new ChainAppender(options.sql);
  }

  /**
   * Record an event in `chain`. Resolves when it is committed (or found recorded already). Rejects with
   * a PoisonMessageError for an event RFC 8785 cannot encode, and with a retriable error when the
   * database fails, so the transport redelivers.
   */
  add(chain: string, event: AirlockEvent): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new AirlockError("audit is stopping; left for redelivery", { code: "closed", retriable: true }),
      );
    }
    let entry: PreparedEntry;
    try {
      entry = prepareEntry(event);
    } catch (error) {
      return Promise.reject(
        new PoisonMessageError(`cannot record ${event.id}: ${(error as Error).message}`, { cause: error }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ chain, entry, resolve, reject });
      this.#schedule(this.#waiting.length >= this.#options.maxSize || this.#options.maxDelayMs <= 0);
    });
  }

  /** Commit everything waiting now. */
  async flush(): Promise<void> {
    this.#scheduled?.cancel();
    this.#scheduled = undefined;
    while (this.#waiting.length > 0 || this.#flushing) {
      this.#flushing ??= this.#drain();
      await this.#flushing;
    }
  }

  /** Refuse new events, then commit those waiting. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #schedule(soon: boolean): void {
    if (this.#flushing) return; // the running flush picks the waiting entries up when it finishes
    if (this.#scheduled && (this.#scheduled.soon || !soon)) return;
    this.#scheduled?.cancel();
    const run = (): void => {
      this.#scheduled = undefined;
      this.#flushing ??= this.#drain();
    };
    if (soon) {
      const immediate = setImmediate(run);
      this.#scheduled = { cancel: () => clearImmediate(immediate), soon };
    } else {
      const timer = setTimeout(run, this.#options.maxDelayMs);
      this.#scheduled = { cancel: () => clearTimeout(timer), soon };
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.#options.maxSize);
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #commit(batch: Waiting[]): Promise<void> {
    try {
      const results = await this.#appender.append(byChain(batch));
      const conflicts = new Set([...results.values()].flatMap((result) => [...result.conflicts]));
      for (const waiting of batch) {
        if (!conflicts.has(waiting.entry)) waiting.resolve();
        else {
          // Dead-lettered by the transport with this reason, so the refusal is itself in the log.
          this.#log.warn({ event_id: waiting.entry.event_id }, "an event id recorded with other content came again");
          waiting.reject(
            new PoisonMessageError(
              `event id ${waiting.entry.event_id} (${waiting.entry.type}) is recorded with other content: this copy is refused as a conflict`,
            ),
          );
        }
      }
      this.#report(results);
    } catch (error) {
      if (isRetriableAppendFailure(error) || batch.length === 1) {
        const fault = appendFault(error);
        this.#log.warn({ err: error, events: batch.length }, "append failed; the events stay for redelivery");
        for (const waiting of batch) waiting.reject(fault);
        return;
      }
      // One bad entry must not hold the others hostage: try each on its own.
      this.#log.warn({ err: error, events: batch.length }, "batch append failed; appending its events one by one");
      for (const waiting of batch) await this.#commit([waiting]);
    }
  }

  #report(results: Map<string, ChainAppend>): void {
    for (const [chain, result] of results) {
      if (result.duplicates > 0)
        this.#log.debug({ chain, duplicates: result.duplicates }, "skipped events already recorded");
      try {
        this.#options.onCommitted?.(chain, result.head);
      } catch (error) {
        // The entries are committed whatever a listener does; its failure is its own.
        this.#log.error({ err: error, chain }, "onCommitted listener failed");
      }
    }
  }
}

function byChain(batch: readonly Waiting[]): Map<string, PreparedEntry[]> {
  const chains = new Map<string, PreparedEntry[]>();
  for (const { chain, entry } of batch) {
    const list = chains.get(chain);
    if (list) list.push(entry);
    else chains.set(chain, [entry]);
  }
  return chains;
}

// A unique violation means another instance recorded one of these ids in another chain between our
// check and our insert: trying again finds it recorded and skips it.
function isRetriableAppendFailure(error: unknown): boolean {
  return isTransientSqlError(error) || sqlState(error) === PG_ERROR.uniqueViolation;
}

function appendFault(error: unknown): AirlockError {
  if (sqlState(error) === PG_ERROR.uniqueViolation) {
    return new UnavailableError("append raced another audit instance; retrying", { cause: error });
  }
  return toAirlockError(error, "audit append");
}
