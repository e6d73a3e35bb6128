import type { Logger } from "./logger.js";

/** Options of {@link onShutdown}. */
export interface ShutdownOptions {
  logger: Logger;
  /** How long a graceful stop may take before the process exits anyway, in ms. */
  deadlineMs: number;
  signals?: readonly NodeJS.Signals[];
  /** Injected for tests; `process.exit` otherwise. */
  exit?: (code: number) => void;
}

/**
 * Stop gracefully on SIGINT/SIGTERM: call `stop` once, exit 0 when it finishes, 1 when it fails or
 * outlasts the deadline. A second signal exits at once (an operator pressing Ctrl-C twice means it).
 * Returns a function that removes the handlers.
 */
export function onShutdown(stop: () => Promise<void>, options: ShutdownOptions): () => void {
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger.warn({ signal }, "second signal: exiting now");
      exit(130);
      return;
    }
    stopping = true;
    options.logger.info({ signal, deadline_ms: options.deadlineMs }, "stopping");
    const timer = setTimeout(() => {
      options.logger.error({ deadline_ms: options.deadlineMs }, "graceful stop outlasted its deadline: exiting");
      exit(1);
    }, options.deadlineMs);
    timer.unref();
    stop().then(
      () => {
        clearTimeout(timer);
        options.logger.info("stopped");
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.logger.error({ err: error }, "graceful stop failed");
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}

/**
 * Wraps a stop function so that calling it twice returns the same promise (as pg-boss's stop does).
 */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= stop());
}
