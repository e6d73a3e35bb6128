import { PoisonMessageError, type AirlockEvent, type Queryable } from "@airlock/shared";
import { claimEvent } from "../store/index.js";

/**
 * Whether this is the first delivery of `event`, claimed in `tx`: false for a redelivery, which changes
 * nothing. A different event under an id already handled is refused — dead-lettered with the reason, so
 * the audit log and the dead-letter metrics show it — rather than dropped as a redelivery: deduplication
 * must not be a way to suppress an event by sending a decoy with its id first.
 */
export async function firstDelivery(tx: Queryable, event: AirlockEvent): Promise<boolean> {
  let claim;
  try {
    claim = await claimEvent(tx, event);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new PoisonMessageError(`event ${event.id} cannot be encoded canonically: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (claim === "conflict") {
    throw new PoisonMessageError(
      `event id ${event.id} (${event.type}) was handled before with other content: this copy is refused as a conflict`,
    );
  }
  return claim === "claimed";
}
