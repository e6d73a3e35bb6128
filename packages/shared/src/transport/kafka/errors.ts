import { AirlockError, UnavailableError } from "../../errors.js";

/**
 * A kafkajs failure as an Airlock fault. kafkajs wraps the error that made it give up (retries exceeded,
 * non-retriable) around the broker's or the network's own; that root says whether trying again can help:
 * a connection refused can, a message over the broker's size limit cannot.
 */
export function kafkaFault(what: string, cause: unknown): AirlockError {
  const root = rootCause(cause);
  const message = `${what}: ${cause instanceof Error ? cause.message : String(cause)}`;
  const retriable = !refusedForGood(root);
  return retriable
    ? new UnavailableError(message, { cause })
    : new AirlockError(message, { code: "broker_refused", retriable, cause });
}

/**
 * Whether the broker said no for good: the error is marked non-retriable, or it gathers several (kafkajs's
 * KafkaJSAggregateError from createTopics, e.g. INVALID_TOPIC_EXCEPTION for a name that collides with
 * another) that all are. The aggregate itself carries no mark.
 */
function refusedForGood(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { retriable?: unknown }).retriable === false) return true;
  const inner = (error as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.length > 0 && inner.every((e) => refusedForGood(e));
}

function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10 && current instanceof Error && current.cause !== undefined; depth++)
    current = current.cause;
  return current;
}

/** Broker answers that mean this idempotent producer's id or sequence numbers are no longer the broker's. */
const PRODUCER_STATE_ERRORS = new Set([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
]);

/** Whether a failure (anywhere in its causes) says the producer must start again with a new id. */
export function producerStateLost(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 10) return false;
  const type = (error as { type?: unknown }).type;
  if (typeof type === "string" && PRODUCER_STATE_ERRORS.has(type)) return true;
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.some((e) => producerStateLost(e, depth + 1))) return true;
  return producerStateLost(error.cause, depth + 1);
}
