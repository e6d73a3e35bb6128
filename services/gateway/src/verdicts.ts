import { TOPICS, newId, type Subscription, type Transport } from "@airlock/shared";
import { VerdictWaiter } from "@airlock/client";

/** Verdicts as they arrive, for requests that wait on them. */
export interface VerdictFeed {
  waiter: VerdictWaiter;
  close(): Promise<void>;
}

/**
 * One ephemeral subscription to `airlock.verdicts` per gateway process: every HTTP request that waits
 * for a verdict registers with the waiter instead of subscribing itself.
 */
export async function startVerdictFeed(transport: Transport, instance = newId()): Promise<VerdictFeed> {
  const waiter = new VerdictWaiter();
  const subscription: Subscription = await transport.subscribe({
    group: `gateway-verdicts-${instance}`,
    topics: [TOPICS.verdicts],
    ephemeral: true,
    handler: (event) => {
      if (event.type === "airlock.verdict.final") waiter.deliver(event);
      return Promise.resolve();
    },
  });
  return { waiter, close: () => subscription.close() };
}
