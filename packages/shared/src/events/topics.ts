/** Airlock's topics. On RabbitMQ each is a topic exchange; on Kafka a topic; in memory a log. */
export const TOPICS = {
  toolCalls: "airlock.tool-calls",
  decisions: "airlock.decisions",
  approvals: "airlock.approvals",
  votes: "airlock.votes",
  verdicts: "airlock.verdicts",
  audit: "airlock.audit",
  deadLetter: "airlock.dead-letter",
} as const;

/** One of Airlock's topic names. */
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Every topic, in a stable order: what transports declare at start and what the audit service reads. */
export const ALL_TOPICS: readonly Topic[] = Object.values(TOPICS);

/** A topic name a caller may choose (e.g. a `reply_to`): letters, digits, `.`, `_`, `-`; at most 200 characters. */
export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** A consumer group and the topics its members read. */
export interface ConsumerGroup {
  group: string;
  topics: readonly Topic[];
}

/**
 * Airlock's durable consumer groups. Transports declare them at start, so on a broker that keeps a
 * message only for queues that already exist (RabbitMQ), an event published before a service's first
 * start still reaches it. Services subscribe with exactly these.
 */
export const CONSUMER_GROUPS = {
  policy: { group: "policy", topics: [TOPICS.toolCalls] },
  approvals: { group: "approvals", topics: [TOPICS.decisions, TOPICS.votes, TOPICS.toolCalls] },
  // Every topic but its own checkpoints, which would otherwise become entries that need checkpointing.
  audit: {
    group: "audit",
    topics: [TOPICS.toolCalls, TOPICS.decisions, TOPICS.approvals, TOPICS.votes, TOPICS.verdicts, TOPICS.deadLetter],
  },
} as const satisfies Record<string, ConsumerGroup>;
