/**
 * Faults carry `retriable`, as kafkajs's errors do: a retrier retries only what may succeed next time.
 * Business outcomes (deny, needs approval, vote refused) are values, never these.
 */
export class AirlockError extends Error {
  /** Whether trying the same thing again may succeed. */
  readonly retriable: boolean;
  /** A stable, machine-readable code (HTTP `error.code`, log field). */
  readonly code: string;

  constructor(message: string, options: { code: string; retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retriable = options.retriable;
  }
}

/**
 * A message that can never be handled (bad digest, impossible state). Thrown by a handler, it sends the
 * message to the dead-letter topic with this reason at once, without retries.
 */
export class PoisonMessageError extends AirlockError {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super(reason, { code: "poison_message", retriable: false, ...options });
  }
}

/** Configuration that cannot be used. The message names the variable and what is wrong with it. */
export class ConfigError extends AirlockError {
  constructor(message: string) {
    super(message, { code: "bad_config", retriable: false });
  }
}

/** A broker or database that does not answer. Retriable by nature. */
export class UnavailableError extends AirlockError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "unavailable", retriable: true, ...options });
  }
}

/** Whether an error says it is worth retrying. Unknown errors are retriable: a handler fault may be passing. */
export function isRetriable(error: unknown): boolean {
  return error instanceof AirlockError ? error.retriable : true;
}
