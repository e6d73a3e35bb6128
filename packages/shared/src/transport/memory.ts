import type { BrokerAdapter, ConsumeOptions, RawConsumer, RawHandler, RawMessage } from "./adapter.js";

/**
 * The in-process broker: the embedded default for `npm start`. Not a mock — it keeps the promises the
 * real adapters keep and passes the same contract suite: each consumer group has its own queue, filled
 * from the start of the topic when the group is new; members share a group's messages; a message leaves
 * the queue only when a handler acknowledged it, and one a closing member did not handle goes back to
 * the front; at most one message per key is in flight in a group (unless the group is `ordered: false`),
 * so one key's messages are handled in order even across members. A group that joins later starts at the
 * oldest message the topic keeps ({@link MEMORY_RETENTION}). It does not survive the process: that is what
 * the real brokers are for.
 */
export class MemoryAdapter implements BrokerAdapter {
  readonly kind = "memory";
  readonly #hub: MemoryHub;
  readonly #consumers = new Set<RawConsumer>();
  #closing: Promise<void> | undefined;

  constructor(hub: MemoryHub = MemoryHub.shared("default")) {
    this.#hub = hub;
  }

  start(topics: readonly string[]): Promise<void> {
    for (const topic of topics) this.#hub.topic(topic);
    return Promise.resolve();
  }

  publish(topic: string, key: string, value: Buffer): Promise<void> {
    if (this.#closing) return Promise.reject(new Error("memory transport is closed"));
    this.#hub.publish(topic, key, Buffer.from(value));
    return Promise.resolve();
  }

  consume(options: ConsumeOptions, handler: RawHandler): Promise<RawConsumer> {
    const group = this.#hub.group(options);
    const member = group.join(options.prefetch, handler);
    const consumer: RawConsumer = {
      close: () => {
        this.#consumers.delete(consumer);
        return member.leave();
      },
    };
    this.#consumers.add(consumer);
    return Promise.resolve(consumer);
  }

  close(): Promise<void> {
    this.#closing ??= Promise.all([...this.#consumers].map((c) => c.close())).then(() => undefined);
    return this.#closing;
  }
}

interface Stored {
  key: string;
  value: Buffer;
}

/**
 * How much of a topic the memory broker keeps for consumer groups that join later (a new durable group
 * starts at the oldest message kept, as a new Kafka group starts at the oldest its retention kept). Every
 * group that exists holds its own copy of what it has not yet handled; this is only the replay log, so
 * that a long-running `npm start` does not keep every event it ever carried.
 */
export const MEMORY_RETENTION = { messages: 10_000, bytes: 32 * 1024 * 1024 } as const;

/** A topic's replay log: the newest messages within {@link MEMORY_RETENTION}. */
class TopicLog {
  #messages: Stored[] = [];
  #first = 0;
  #bytes = 0;

  push(stored: Stored): void {
    this.#messages.push(stored);
    this.#bytes += stored.value.length + stored.key.length;
    while (this.size > 1 && (this.size > MEMORY_RETENTION.messages || this.#bytes > MEMORY_RETENTION.bytes)) {
      const dropped = this.#messages[this.#first]!;
      this.#bytes -= dropped.value.length + dropped.key.length;
      this.#first++;
    }
    // Compact now and then rather than shifting on every publish.
    if (this.#first > 1024 && this.#first * 2 > this.#messages.length) {
      this.#messages = this.#messages.slice(this.#first);
      this.#first = 0;
    }
  }

  get size(): number {
    return this.#messages.length - this.#first;
  }

  *[Symbol.iterator](): IterableIterator<Stored> {
    for (let i = this.#first; i < this.#messages.length; i++) yield this.#messages[i]!;
  }
}

/** The brokers of one process, by name: `memory://` is "default"; `memory://other` another one. */
export class MemoryHub {
  static readonly #hubs = new Map<string, MemoryHub>();
  readonly #topics = new Map<string, TopicLog>();
  readonly #groups = new Map<string, Group>();

  /** The hub with this name, created on first use. */
  static shared(name: string): MemoryHub {
    let hub = MemoryHub.#hubs.get(name);
    if (!hub) MemoryHub.#hubs.set(name, (hub = new MemoryHub()));
    return hub;
  }

  /** A topic's replay log, created on first use. */
  topic(name: string): TopicLog {
    let log = this.#topics.get(name);
    if (!log) this.#topics.set(name, (log = new TopicLog()));
    return log;
  }

  publish(topic: string, key: string, value: Buffer): void {
    const stored = { key, value };
    this.topic(topic).push(stored);
    for (const group of this.#groups.values()) group.offer(topic, stored);
  }

  group(options: ConsumeOptions): Group {
    let group = this.#groups.get(options.group);
    if (!group) {
      group = new Group(options, () => this.#groups.delete(options.group));
      // A durable group starts at the beginning of its topics, as a new Kafka group or queue would.
      if (!options.ephemeral)
        for (const topic of options.topics) for (const m of this.topic(topic)) group.offer(topic, m);
      this.#groups.set(options.group, group);
    }
    return group;
  }
}

interface Pending {
  topic: string;
  stored: Stored;
  redelivered: boolean;
}

interface Member {
  prefetch: number;
  handler: RawHandler;
  inFlight: Set<Promise<void>>;
  leaving: boolean;
}

class Group {
  readonly #topics: Set<string>;
  readonly #keys: Set<string> | undefined;
  readonly #ephemeral: boolean;
  /** At most one message per key in flight (unless the group was created with `ordered: false`). */
  readonly #ordered: boolean;
  readonly #onEmpty: () => void;
  readonly #pending: Pending[] = [];
  readonly #keysInFlight = new Set<string>();
  readonly #members: Member[] = [];
  #next = 0;
  #scheduled = false;

  constructor(options: ConsumeOptions, onEmpty: () => void) {
    this.#topics = new Set(options.topics);
    this.#keys = options.keys ? new Set(options.keys) : undefined;
    this.#ephemeral = options.ephemeral ?? false;
    this.#ordered = options.ordered ?? true;
    this.#onEmpty = onEmpty;
  }

  offer(topic: string, stored: Stored): void {
    if (!this.#topics.has(topic)) return;
    if (this.#keys && !this.#keys.has(stored.key)) return;
    this.#pending.push({ topic, stored, redelivered: false });
    this.#schedule();
  }

  join(prefetch: number, handler: RawHandler): { leave(): Promise<void> } {
    const member: Member = { prefetch: Math.max(1, prefetch), handler, inFlight: new Set(), leaving: false };
    this.#members.push(member);
    this.#schedule();
    let leaving: Promise<void> | undefined;
    return {
      leave: () => {
        leaving ??= (async () => {
          member.leaving = true;
          // Wait for what this member holds: each ack or return has happened when its promise settles.
          while (member.inFlight.size > 0) await Promise.allSettled([...member.inFlight]);
          this.#members.splice(this.#members.indexOf(member), 1);
          if (this.#members.length === 0 && this.#ephemeral) this.#onEmpty();
          this.#schedule();
        })();
        return leaving;
      },
    };
  }

  // Dispatch on a later turn, so a burst of publishes is handed out in one pass and recursion stays flat.
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (let i = 0; i < this.#pending.length;) {
      const pending = this.#pending[i]!;
      if (this.#ordered && this.#keysInFlight.has(pending.stored.key)) {
        i++;
        continue;
      }
      const member = this.#pickMember();
      if (!member) return;
      this.#pending.splice(i, 1);
      this.#hand(member, pending);
    }
  }

  #pickMember(): Member | undefined {
    for (let tried = 0; tried < this.#members.length; tried++) {
      const member = this.#members[this.#next++ % this.#members.length]!;
      if (!member.leaving && member.inFlight.size < member.prefetch) return member;
    }
    return undefined;
  }

  #hand(member: Member, pending: Pending): void {
    const { stored } = pending;
    if (this.#ordered) this.#keysInFlight.add(stored.key);
    const message: RawMessage = {
      topic: pending.topic,
      key: stored.key,
      value: stored.value,
      redelivered: pending.redelivered,
    };
    const settled = Promise.resolve()
      .then(() => member.handler(message))
      .then(
        () => undefined,
        () => {
          // Not acknowledged: back to the front, ahead of its key's later messages.
          this.#pending.unshift({ ...pending, redelivered: true });
        },
      )
      .finally(() => {
        this.#keysInFlight.delete(stored.key);
        member.inFlight.delete(settled);
        this.#schedule();
      });
    member.inFlight.add(settled);
  }
}
