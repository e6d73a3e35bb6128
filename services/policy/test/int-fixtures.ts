import { replyTopic } from "@airlock/shared";

// What the policy service's integration tests share.

/**
 * The brokers the integration tests run over: AIRLOCK_TEST_BROKERS (comma-separated names), default all
 * three; AIRLOCK_TEST_AMQP_URL and AIRLOCK_TEST_KAFKA_URL override the local brokers' URLs.
 */
export const BROKERS = (process.env["AIRLOCK_TEST_BROKERS"] ?? "memory,amqp,kafka").split(",").map((name) => {
  const urls: Record<string, string> = {
    memory: "memory://",
    amqp: process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
    kafka: process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092",
  };
  const url = urls[name.trim()];
  if (url === undefined) throw new Error(`AIRLOCK_TEST_BROKERS: unknown broker "${name}"`);
  return { name: name.trim(), url };
});

/** The policy the service runs with; `reload-me` is rewritten by the hot-reload test. */
export const POLICY = `version: 1
name: integration
defaults:
  action: allow
  max_tool_calls: 5
  approval: { pool: admins, quorum: 1, timeout: 15m }
pools:
  admins: [alice, bob, carol]
rules:
  - { name: read, when: { tool: "search_*" }, action: allow, reason: reads are fine }
  - { name: no-delete, priority: 100, when: { tool: "delete_*" }, action: deny, reason: never delete }
  - { name: pay, when: { tool: "payments.*" }, action: escalate, approval: { pool: admins, quorum: 2 } }
  - { name: watch, when: { tool: "reports.*" }, action: audit }
  - { name: reload-me, when: { tool: reload.t }, action: allow }
`;
/** The agent whose calls name a reply_to. */
export const REPLYING_AGENT = "replying-agent";
/** A reply_to topic of that agent's own. */
export const REPLIES = replyTopic(REPLYING_AGENT, "inbox");
/** Policy service instances in the consumer group. */
export const INSTANCES = 2;
