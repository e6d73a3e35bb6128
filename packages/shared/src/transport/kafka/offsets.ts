/** One message handed to the handler, as its partition's commit position sees it. */
export interface Handout {
  readonly offset: bigint;
  finished: boolean;
  /** False once its partition was rewound past it: its outcome no longer moves the commit position. */
  live: boolean;
}

/**
 * Where one partition may commit. Kafka commits a position, not single messages: committing N says "every
 * message before N is handled". Messages are handed out in offset order but finish in any order (prefetch > 1,
 * several keys at once), so the position only moves over the unbroken run of finished messages at the front:
 * one slow or failed message holds back the commit of every later one, which is read again if this member
 * stops or loses the partition before it finishes (at least once, never lost).
 */
export class PartitionOffsets {
  /** Handed out, oldest first; a finished one waits here until every one before it has finished. */
  readonly #pending: Handout[] = [];
  #committable: bigint | undefined;
  #committed: bigint | undefined;
  #rewinds = 0;
  /** Rewound to here: until this offset comes again, a later one was fetched before the rewind took effect. */
  #resumeAt: bigint | undefined;

  /** How often this partition was rewound: a message fetched before a rewind is not handed out after it. */
  get rewinds(): number {
    return this.#rewinds;
  }

  /**
   * Record that the message at `offset` goes to the handler. After a rewind, a message past the rewound
   * offset that arrives before that offset does (fetched before the seek took effect, or a seek that did
   * not happen) comes back not live: it must not reach the handler, because finishing it would move the
   * position over the message that failed — committing an event nobody handled.
   */
  handOut(offset: bigint): Handout {
    if (this.#resumeAt !== undefined) {
      if (offset > this.#resumeAt) return { offset, finished: false, live: false };
      this.#resumeAt = undefined;
    }
    const last = this.#pending.at(-1);
    // kafkajs went back (a seek, a re-fetch after an error): what was handed out from there on counts no more.
    if (last && offset <= last.offset) this.#forgetFrom(offset);
    const handout: Handout = { offset, finished: false, live: true };
    this.#pending.push(handout);
    return handout;
  }

  /** The message was handled (or needs no handling): the position may move past it. */
  finish(handout: Handout): void {
    if (!handout.live || handout.finished) return;
    handout.finished = true;
    for (let first = this.#pending[0]; first?.finished; first = this.#pending[0]) {
      this.#pending.shift();
      const next = first.offset + 1n;
      // Never backwards: a message read again (after a rewind) that finishes says nothing new about those before it.
      if (this.#committable === undefined || next > this.#committable) this.#committable = next;
    }
  }

  /** Forget every message handed out at or after `offset`: the partition is read again from there. */
  rewind(offset: bigint): void {
    this.#forgetFrom(offset);
    if (this.#resumeAt === undefined || offset < this.#resumeAt) this.#resumeAt = offset;
  }

  #forgetFrom(offset: bigint): void {
    this.#rewinds++;
    for (let last = this.#pending.at(-1); last && last.offset >= offset; last = this.#pending.at(-1)) {
      this.#pending.pop();
      last.live = false;
    }
  }

  /** The position to commit, when it moved since the last commit. */
  uncommitted(): bigint | undefined {
    if (this.#committable === undefined) return undefined;
    return this.#committed === undefined || this.#committable > this.#committed ? this.#committable : undefined;
  }

  /** The broker has `position`. */
  committed(position: bigint): void {
    if (this.#committed === undefined || position > this.#committed) this.#committed = position;
  }
}

/** A position to commit, in kafkajs's `commitOffsets` shape. */
export interface CommitPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The commit positions of every partition one group generation (one assignment) handed out. A rebalance or a
 * re-created consumer starts a new book: kafkajs reads each partition again from its committed offset, so what
 * the old book still holds is read again and its outcomes must not move the new positions.
 */
export class OffsetBook {
  readonly #partitions = new Map<string, { topic: string; partition: number; offsets: PartitionOffsets }>();

  /** The offsets of one partition, created on first use. */
  partition(topic: string, partition: number): PartitionOffsets {
    const id = `${topic}\u0000${partition}`;
    let entry = this.#partitions.get(id);
    if (!entry) this.#partitions.set(id, (entry = { topic, partition, offsets: new PartitionOffsets() }));
    return entry.offsets;
  }

  /** Positions that moved since they were last committed. */
  uncommitted(): CommitPosition[] {
    const positions: CommitPosition[] = [];
    for (const { topic, partition, offsets } of this.#partitions.values()) {
      const position = offsets.uncommitted();
      if (position !== undefined) positions.push({ topic, partition, offset: position.toString() });
    }
    return positions;
  }

  /** The broker has these positions. */
  committed(positions: readonly CommitPosition[]): void {
    for (const { topic, partition, offset } of positions) this.partition(topic, partition).committed(BigInt(offset));
  }
}
