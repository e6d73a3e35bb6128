import type { AirlockEvent, AirlockMetrics, Delivery, EventHandler, Logger } from "@airlock/shared";
import type { AppendBatcher } from "../batcher.js";

/** Picks the chain an event is appended to. */
export type ChainOf = (event: AirlockEvent, delivery: Delivery) => string;

/**
 * The audit service's one handler, for every event type on every topic it reads: hand the event to the
 * batcher and return once the batch that holds it has committed — only then may the transport ack it.
 */
export function recordEvent(options: {
  batcher: AppendBatcher;
  chainOf: ChainOf;
  group: string;
  metrics: AirlockMetrics;
  logger: Logger;
}): EventHandler {
  const log = options.logger.child({ module: "record-event" });
  return async (event, delivery) => {
    await options.batcher.add(options.chainOf(event, delivery), event);
    options.metrics.eventsIn.inc({ topic: delivery.topic, group: options.group });
    log.debug({ event_id: event.id, subject: event.subject, type: event.type }, "recorded");
  };
}
