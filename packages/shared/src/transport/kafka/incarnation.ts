import type { Consumer, EachMessagePayload, IMemberAssignment, Kafka, RetryOptions } from "kafkajs";
import type { Logger } from "../../lifecycle/logger.js";
import { BACKGROUND_DELAY_MS } from "../adapter.js";
import { kafkaFault } from "./errors.js";
import type { OffsetBook } from "./offsets.js";
import { GROUP_TIMING } from "./settings.js";

/** One kafkajs consumer of a group member. The member replaces it when it crashes. */
export interface Incarnation {
  readonly consumer: Consumer;
  /** It joined the group at least once. */
  joined: boolean;
  /** Crashed, or being stopped by the member: take nothing more from it. */
  dead: boolean;
}

/** One assignment of one incarnation: from a join to the next join or the crash. */
export interface Generation {
  readonly incarnation: Incarnation;
  readonly book: OffsetBook;
}

/** What an incarnation reports to its member. */
export interface IncarnationEvents {
  /** It joined the group (first join or a rebalance), with this assignment. Runs inside kafkajs's join. */
  joined(incarnation: Incarnation, assignment: IMemberAssignment): void;
  /** It crashed: kafkajs has stopped and disconnected it. */
  crashed(incarnation: Incarnation, error: Error, restart: boolean): void;
  /** kafkajs's eachMessage. */
  message(incarnation: Incarnation, payload: EachMessagePayload): Promise<void>;
}

/** How an incarnation joins. */
export interface JoinOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  /** Where a group with no committed offset starts: the beginning of the topics, or their end. */
  fromBeginning: boolean;
  retry: RetryOptions;
  log: Logger;
  /** A background group: the broker answers its fetches after BACKGROUND_DELAY_MS, not at each message. */
  background: boolean;
}

// Bigger than a background group's traffic in BACKGROUND_DELAY_MS under any load a member keeps up with,
// so that its fetches wait out the delay; under more, they are answered as soon as this much is ready.
const BACKGROUND_MIN_BYTES = 1024 * 1024;

type JoinOutcome = { ok: true } | { ok: false; error: unknown };

/**
 * Create a kafkajs consumer for the group and wire its events. `onCreated` sees the incarnation before it
 * joins (its join events run before this resolves). Resolves once the consumer has joined; when it cannot,
 * disconnects it, marks it dead and throws.
 */
export async function joinGroup(
  options: JoinOptions,
  events: IncarnationEvents,
  onCreated: (incarnation: Incarnation) => void,
): Promise<Incarnation> {
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    ...GROUP_TIMING,
    ...(options.background ? { minBytes: BACKGROUND_MIN_BYTES, maxWaitTimeInMs: BACKGROUND_DELAY_MS } : {}),
    allowAutoTopicCreation: false,
    // The member replaces a crashed consumer itself, after any crash and with the shared backoff; kafkajs
    // restarting it as well would put two consumers of one member in the group.
    retry: { ...options.retry, restartOnFailure: () => Promise.resolve(false) },
  });
  const incarnation: Incarnation = { consumer, joined: false, dead: false };
  const join: { outcome?: JoinOutcome } = {};
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    if (incarnation.dead) return;
    incarnation.joined = true;
    join.outcome ??= { ok: true };
    events.joined(incarnation, event.payload.memberAssignment);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (incarnation.dead) return;
    incarnation.dead = true;
    join.outcome ??= { ok: false, error: event.payload.error };
    events.crashed(incarnation, event.payload.error, event.payload.restart);
  });
  onCreated(incarnation);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
    // run() returns once kafkajs has joined the group (GROUP_JOIN fired), or once a failed join crashed it.
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: (payload) => events.message(incarnation, payload),
    });
    if (!join.outcome) throw new Error("kafkajs returned from run() without joining the group or crashing");
    if (!join.outcome.ok) throw join.outcome.error;
    return incarnation;
  } catch (error) {
    incarnation.dead = true;
    await consumer
      .disconnect()
      .catch((e: unknown) => options.log.debug({ err: e }, "disconnecting a consumer that did not join failed"));
    throw kafkaFault(`joining consumer group ${options.groupId} failed`, error);
  }
}
