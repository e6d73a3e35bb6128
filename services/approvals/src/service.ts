import {
  CONSUMER_GROUPS,
  DISPATCH_GRACE_MS,
  startOutboxRelay,
  stopOnce,
  type ReviewerKeys,
  type RunningService,
  type ServiceDeps,
  type Subscription,
} from "@airlock/shared";
import { handleEvent, type Effects, type HandlerContext } from "./handlers/index.js";
import { SCHEMA } from "./store/index.js";
import { startSweeper } from "./sweeper.js";

/** What the approvals service is given. */
export interface ApprovalsServiceDeps extends ServiceDeps {
  /** Registered reviewers' public keys (AIRLOCK_REVIEWERS, parsed with loadReviewersFile). */
  reviewers: ReviewerKeys;
  /** The clock; injected by tests. */
  now?: () => Date;
  /** How often the sweeper looks for expired requests. Default 1000 ms. */
  sweepIntervalMs?: number;
  /** How often the outbox relay looks without a kick. Default 200 ms. */
  relayPollMs?: number;
}

/** The consumer group of every approvals instance: instances share the work. */
export const APPROVALS_GROUP = CONSUMER_GROUPS.approvals.group;

/**
 * Start the approvals service: consume decisions, votes and cancellations (group `approvals`), relay
 * the outbox to the broker, and sweep expired requests. Several instances may run against one database
 * and one consumer group. The database must have MIGRATIONS applied.
 */
export async function startApprovalsService(deps: ApprovalsServiceDeps): Promise<RunningService> {
  const log = deps.logger.child({ service: "approvals" });
  const now = deps.now ?? (() => new Date());
  const relay = startOutboxRelay({
    sql: deps.sql,
    transport: deps.transport,
    schema: SCHEMA,
    logger: log,
    ...(deps.relayPollMs === undefined ? {} : { pollMs: deps.relayPollMs }),
    // Handlers dispatch what they commit; polls leave another instance's fresh rows to it that long.
    graceMs: DISPATCH_GRACE_MS,
  });

  // After COMMIT: publish what the transaction enqueued now, not at the relay's next round. The
  // approvals_open gauge is set by the sweeper from the database, the count every instance agrees on.
  const committed = async (effects: Effects): Promise<void> => {
    for (const resolved of effects.resolved) {
      deps.metrics.verdictLatency.labels(resolved.decided_by).observe(resolved.latency_seconds);
    }
    await relay.dispatch(effects.outbox);
  };

  const ctx: HandlerContext = {
    sql: deps.sql,
    reviewers: deps.reviewers,
    mode: deps.config.AIRLOCK_MODE,
    now,
    log: log.child({ module: "handlers" }),
  };

  const sweeper = startSweeper({
    sql: deps.sql,
    logger: log,
    metrics: deps.metrics,
    now,
    intervalMs: deps.sweepIntervalMs ?? 1000,
    onCommitted: committed,
  });

  let subscription: Subscription;
  try {
    subscription = await deps.transport.subscribe({
      group: APPROVALS_GROUP,
      topics: CONSUMER_GROUPS.approvals.topics,
      handler: async (event, delivery) => {
        const effects = await handleEvent(ctx, event);
        deps.metrics.eventsIn.labels(delivery.topic, APPROVALS_GROUP).inc();
        await committed(effects);
      },
      // Reviewers take seconds; every decision passes through here, escalated or not. Its events come ten
      // times a second instead of beside every call's, which the policy's next call would wait behind.
      background: true,
    });
  } catch (error) {
    await Promise.allSettled([sweeper.stop(), relay.stop()]);
    throw error;
  }
  log.info({ mode: ctx.mode, reviewers: deps.reviewers.size }, "approvals service started");

  return {
    name: "approvals",
    stop: stopOnce(async () => {
      // Consumers first (handlers in flight commit), then the sweeper, then the relay publishes what they left.
      await subscription.close();
      await sweeper.stop();
      await relay.stop();
      log.info("approvals service stopped");
    }),
  };
}
