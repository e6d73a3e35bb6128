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
