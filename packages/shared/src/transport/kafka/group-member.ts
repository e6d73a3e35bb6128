import type { Admin, EachMessagePayload, IMemberAssignment, Kafka, RetryOptions } from "kafkajs";
import { newId } from "../../ids.js";
import { backoffDelay, delay } from "../../lifecycle/backoff.js";
import type { Logger } from "../../lifecycle/logger.js";
import type { ConsumeOptions, RawConsumer, RawHandler, RawMessage } from "../adapter.js";
import { Committer } from "./committer.js";
import { kafkaFault } from "./errors.js";
import { InFlight } from "./in-flight.js";
import { joinGroup, type Generation, type Incarnation, type IncarnationEvents } from "./incarnation.js";
import { OffsetBook, type CommitPosition, type Handout, type PartitionOffsets } from "./offsets.js";
import { GROUP_TIMING } from "./settings.js";
import { topicEnds } from "./topics.js";

/** Counters of consumer trouble, for /metrics and tests. */
export interface KafkaConsumerStats {
  /** kafkajs consumers that crashed (its CRASH event) after they had joined their group. */
  crashes: number;
  /** Crashed consumers replaced by a new one that joined the group. */
  recoveries: number;
}

/** What a member needs from its adapter. */
export interface MemberContext {
  kafka: Kafka;
  admin: Admin;
  log: Logger;
  /** How kafkajs retries inside one consumer before it gives up and crashes. */
  retry: RetryOptions;
  stats: KafkaConsumerStats;
  onClosed: (member: GroupMember) => void;
}

/**
 * One member of a Kafka consumer group. kafkajs calls `eachMessage` one message at a time; the member hands each
 * message to the handler without waiting for it (up to `prefetch` at once, in offset order, so the keyed
 * serialiser above keeps each key's order) and commits a partition's position only over messages whose handlers
 * succeeded (see {@link OffsetBook}); kafkajs's auto-commit is off. A handler that rejects while the member runs
 * rewinds its partition to that message, so it is read again. When the kafkajs consumer crashes, the member
 * replaces it, with backoff, by a new one that reads on from the committed offsets.
 */
export class GroupMember implements RawConsumer {
  /** The group on the wire: the requested one, or for an ephemeral member a group of its own. */
  readonly groupId: string;
  readonly #ctx: MemberContext;
  readonly #options: ConsumeOptions;
  readonly #handler: RawHandler;
  readonly #log: Logger;
  readonly #keys: ReadonlySet<string> | undefined;
  readonly #prefetch: number;
  readonly #inFlight = new InFlight();
  readonly #committer: Committer;
  /** The highest offset handed to the handler per partition, over every incarnation: at or below it is a redelivery. */
  readonly #delivered = new Map<string, bigint>();
  readonly #stopping = new AbortController();
  readonly #events: IncarnationEvents = {
    joined: (incarnation, assignment) => this.#joined(incarnation, assignment),
    crashed: (incarnation, error, restart) => this.#crashed(incarnation, error, restart),
    message: (incarnation, payload) => this.#take(incarnation, payload),
  };
  #incarnation: Incarnation | undefined;
  #generation: Generation | undefined;
  /** Ephemeral: the ends of the topics, read before joining: where this member starts. */
  #start: CommitPosition[] | undefined;
  #positioned = false;
  /** Crashes since a handler last succeeded: where the backoff of the next replacement starts. */
  #crashStreak = 0;
  #recovering: Promise<void> | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(ctx: MemberContext, options: ConsumeOptions, handler: RawHandler) {
    this.groupId = options.ephemeral ? `${options.group}.${newId()}` : options.group;
    this.#ctx = ctx;
    this.#options = options;
    this.#handler = handler;
    this.#log = ctx.log.child({ group: this.groupId });
    this.#keys = options.keys ? new Set(options.keys) : undefined;
    this.#prefetch = Math.max(1, options.prefetch);
    this.#committer = new Committer(() => this.#generation, this.#log);
  }

  /** Join the group. Resolves once this member has its assignment and (ephemeral) its start positions. */
  async start(): Promise<void> {
    if (this.#options.ephemeral) this.#start = await topicEnds(this.#ctx.admin, this.#options.topics);
    const incarnation = await this.#join();
    if (this.#start) {
      // Committed, so a replacement after a crash starts here too rather than at a later "latest".
      try {
        await incarnation.consumer.commitOffsets(this.#start);
      } catch (error) {
        throw kafkaFault(`committing the start positions of ${this.groupId} failed`, error);
      }
      this.#positioned = true;
    }
  }

  /** Stop fetching, let the handlers in flight finish, commit what they handled, leave the group. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  #join(): Promise<Incarnation> {
    const { kafka, retry } = this.#ctx;
    const { topics, ephemeral, background } = this.#options;
    return joinGroup(
      {
        kafka,
        retry,
        log: this.#log,
        groupId: this.groupId,
        topics,
        fromBeginning: !ephemeral,
        background: background === true,
      },
      this.#events,
      (incarnation) => (this.#incarnation = incarnation),
    );
  }

  #joined(incarnation: Incarnation, assignment: IMemberAssignment): void {
    if (incarnation !== this.#incarnation) return;
    this.#generation = { incarnation, book: new OffsetBook() };
    if (this.#start && !this.#positioned) {
      // Start at the ends read before joining, not wherever "latest" is when kafkajs first fetches: a message
      // published in between would be missed. This runs inside kafkajs's join, before its first fetch, which is
      // where seeks apply.
      for (const position of this.#start) {
        if (assignment[position.topic]?.includes(position.partition)) incarnation.consumer.seek(position);
      }
    }
    this.#log.debug({ assignment }, "joined the consumer group");
  }

  #crashed(incarnation: Incarnation, error: Error, restart: boolean): void {
    this.#inFlight.wake();
    // A consumer that never joined is the failure of whoever was joining it (start() or the recovery loop).
    if (!incarnation.joined || this.#closing) return;
    this.#ctx.stats.crashes++;
    this.#crashStreak++;
    this.#log.error({ err: error, restart }, "kafka consumer crashed; replacing it");
    this.#recover();
  }

  #recover(): void {
    if (this.#recovering || this.#closing) return;
    this.#recovering = this.#replace().finally(() => {
      this.#recovering = undefined;
      // The replacement may have crashed between joining and here.
      if (this.#incarnation?.dead) this.#recover();
    });
  }

  /** Replace a crashed consumer, with backoff, until one joins or the member closes. Never rejects. */
  async #replace(): Promise<void> {
    // kafkajs disconnected it before announcing the crash; disconnecting again also cancels any restart it scheduled.
    await this.#incarnation?.consumer
      .disconnect()
      .catch((error: unknown) => this.#log.debug({ err: error }, "disconnecting the crashed consumer failed"));
    for (let attempt = this.#crashStreak; !this.#closing; attempt++) {
      await delay(backoffDelay(attempt), this.#stopping.signal);
      if (this.#closing) return;
      try {
        await this.#join();
        this.#ctx.stats.recoveries++;
        this.#log.info({ attempt }, "replaced the crashed kafka consumer; reading on from the committed offsets");
        return;
      } catch (error) {
        this.#log.warn({ err: error, attempt }, "replacing the crashed kafka consumer failed; trying again");
      }
    }
  }

  /** kafkajs's eachMessage: hand the message out when there is room, without waiting for its handler. */
  async #take(incarnation: Incarnation, payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message } = payload;
    const offsets = this.#offsetsOf(incarnation, topic, partition);
    // Stopping, or a consumer the member gave up: left uncommitted, for whoever reads the partition next.
    if (!offsets) return;
    const rewinds = offsets.rewinds;
    while (this.#inFlight.size >= this.#prefetch) {
      await this.#inFlight.settledOrAfter(GROUP_TIMING.heartbeatInterval);
      if (this.#closing || incarnation.dead) return;
      // kafkajs heartbeats only between messages. While waiting for room, keep the session alive; when the group
      // rebalances this throws, and kafkajs rejoins and reads each partition again from its committed offset.
      await payload.heartbeat();
    }
    // Rewound while waiting (a handler rejected an earlier message): it comes again from there.
    if (this.#offsetsOf(incarnation, topic, partition) !== offsets || offsets.rewinds !== rewinds) return;
    const offset = BigInt(message.offset);
    const handout = offsets.handOut(offset);
    // Past a rewound message that has not come again: it will, and this one after it.
    if (!handout.live) return;
    const key = message.key?.toString("utf8") ?? "";
    if (this.#keys && !this.#keys.has(key)) {
      // Not for this member: committed along with the rest.
      offsets.finish(handout);
      this.#committer.schedule();
      return;
    }
    const id = `${topic}\u0000${partition}`;
    const highest = this.#delivered.get(id);
    const redelivered = highest !== undefined && offset <= highest;
    if (!redelivered) this.#delivered.set(id, offset);
    const raw: RawMessage = { topic, key, value: message.value ?? Buffer.alloc(0), redelivered };
    this.#inFlight.track(this.#handle(incarnation, partition, raw, offsets, handout));
  }

  async #handle(
    incarnation: Incarnation,
    partition: number,
    message: RawMessage,
    offsets: PartitionOffsets,
    handout: Handout,
  ): Promise<void> {
    try {
      await this.#handler(message);
      offsets.finish(handout);
      this.#crashStreak = 0;
      this.#committer.schedule();
    } catch (error) {
      const where = { err: error, topic: message.topic, partition, offset: handout.offset.toString() };
      // Not acknowledged: it stays uncommitted and holds back its partition's position.
      if (this.#closing || incarnation.dead || !handout.live) {
        this.#log.debug(where, "handler rejected a message; left for redelivery");
        return;
      }
      // Running on: read the partition again from this message. The later ones it had handed out come again
      // too, handled or not (at least once).
      this.#log.warn(where, "handler rejected a message; reading its partition again from it");
      offsets.rewind(handout.offset);
      try {
        incarnation.consumer.seek({ topic: message.topic, partition, offset: handout.offset.toString() });
      } catch (seekError) {
        // Nothing past the message is handed out until it comes again (PartitionOffsets): without the
        // seek it would not, so the consumer is replaced, and its successor reads on from the committed offset.
        this.#log.warn({ ...where, err: seekError }, "could not rewind the partition; replacing the consumer");
        incarnation.dead = true;
        this.#recover();
      }
    }
  }

  #offsetsOf(incarnation: Incarnation, topic: string, partition: number): PartitionOffsets | undefined {
    const generation = this.#generation;
    if (this.#closing || incarnation.dead || generation?.incarnation !== incarnation) return undefined;
    return generation.book.partition(topic, partition);
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    this.#stopping.abort();
    this.#inFlight.wake();
    await this.#recovering;
    const incarnation = this.#incarnation;
    if (incarnation && !incarnation.dead) {
      try {
        // Fetch nothing more; what was fetched and not handed out stays uncommitted, for the next owner.
        incarnation.consumer.pause(this.#options.topics.map((topic) => ({ topic })));
      } catch (error) {
        this.#log.debug({ err: error }, "could not pause the consumer before closing it");
      }
    }
    // The handlers in flight settle first: the positions of what they handled are committed below; what they
    // rejected is left for the next owner. Meanwhile the consumer stays in the group, so nobody else takes it.
    await this.#inFlight.drain();
    await this.#committer.flush();
    if (incarnation) {
      incarnation.dead = true;
      await incarnation.consumer
        .disconnect()
        .catch((error: unknown) => this.#log.warn({ err: error }, "disconnecting the kafka consumer failed"));
    }
    if (this.#options.ephemeral) {
      try {
        await this.#ctx.admin.deleteGroups([this.groupId]);
      } catch (error) {
        this.#log.debug({ err: error }, "could not delete the ephemeral consumer group; the broker expires it");
      }
    }
    this.#ctx.onClosed(this);
  }
}
