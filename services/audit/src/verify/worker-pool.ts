import { Worker } from "node:worker_threads";
import type { RangeJob, RangeResult } from "./range-check.js";

// A worker thread runs plain Node: under vitest this module is src/*.ts, and the thread takes the build.
const WORKER_SCRIPT = new URL(
  import.meta.url.endsWith(".ts") ? "../../dist/verify/worker.js" : "./worker.js",
  import.meta.url,
);

interface Pending {
  job: RangeJob;
  resolve: (result: RangeResult) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that check ranges of a chain (worker.ts), each on its own database connection.
 * Jobs queue until a thread is free; a thread takes one job at a time. A thread that fails fails its job
 * and every later one: verification then stops with that error, as it would on a failed query.
 */
export class VerifyWorkers {
  readonly #idle: Worker[] = [];
  readonly #running = new Map<Worker, Pending>();
  readonly #queue: Pending[] = [];
  readonly #workers: Worker[];
  #failed: Error | undefined;

  constructor(count: number, databaseUrl: string) {
    this.#workers = Array.from({ length: count }, () => this.#start(databaseUrl));
    this.#idle.push(...this.#workers);
  }

  /** Threads. */
  get size(): number {
    return this.#workers.length;
  }

  /** Check a range on the next free thread. */
  run(job: RangeJob): Promise<RangeResult> {
    return new Promise<RangeResult>((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#queue.push({ job, resolve, reject });
      this.#next();
    });
  }

  /** Stop every thread; jobs not answered yet fail. */
  async close(): Promise<void> {
    this.#fail(new Error("verification workers closed"));
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  #start(databaseUrl: string): Worker {
    // No flags of this process's: under vitest they would resolve the workspace to its TypeScript sources.
    const worker = new Worker(WORKER_SCRIPT, { workerData: { databaseUrl }, execArgv: [] });
    worker.on("message", (message: { result: RangeResult } | { error: string }) => {
      const pending = this.#running.get(worker);
      this.#running.delete(worker);
      this.#idle.push(worker);
      if ("error" in message) pending?.reject(new Error(message.error));
      else pending?.resolve(message.result);
      this.#next();
    });
    worker.on("error", (error) => this.#fail(error));
    worker.on("exit", (code) => this.#fail(new Error(`a verification worker exited (code ${code})`)));
    return worker;
  }

  #next(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const pending = this.#queue.shift()!;
      this.#running.set(worker, pending);
      worker.postMessage(pending.job);
    }
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const pending of [...this.#running.values(), ...this.#queue.splice(0)]) pending.reject(this.#failed);
    this.#running.clear();
  }
}
