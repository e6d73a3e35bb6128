// Where a call's verdict may be sent besides airlock.verdicts. The caller chooses `reply_to`, and the
// services then create that topic and publish to it — so an unrestricted name let one request point the
// services at a broker object that refuses them (RabbitMQ's `amq.*` exchanges, `airlock.dlx`, a name
// outside the broker user's permissions) or at Airlock's own topics. A reply topic therefore lives in a
// reserved namespace of its own agent: `airlock.replies.<agent_id>.<name>`.

/** Every reply topic begins with this. Nothing else Airlock names does, and no broker reserves it. */
export const REPLY_TOPIC_PREFIX = "airlock.replies.";

/**
 * The last part of a reply topic: letters, digits, `_` and `-`, no dot. Without a dot the agent is
 * everything between the prefix and the last dot, so one topic name belongs to one agent only (agent `a`
 * cannot name `airlock.replies.a.b.x`, which is agent `a.b`'s).
 */
const REPLY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Agent ids that can own reply topics: what a topic name may hold (DESIGN.md asks agent ids to keep to it). */
const TOPIC_SAFE = /^[A-Za-z0-9._-]+$/;

/** The longest reply topic: a topic name's bound (TOPIC_NAME), leaving room for an AIRLOCK_NAMESPACE prefix. */
const MAX_REPLY_TOPIC = 200;

/** The reply topic `name` of `agentId`: `airlock.replies.<agentId>.<name>`. Throws a TypeError when it cannot be one. */
export function replyTopic(agentId: string, name: string): string {
  const topic = `${REPLY_TOPIC_PREFIX}${agentId}.${name}`;
  const problem = replyToProblem(agentId, topic);
  if (problem !== undefined) throw new TypeError(problem);
  return topic;
}

/** Why `topic` cannot be the `reply_to` of a call by `agentId`, or undefined when it can. */
export function replyToProblem(agentId: string, topic: string): string | undefined {
  const own = `${REPLY_TOPIC_PREFIX}${agentId}.`;
  if (!TOPIC_SAFE.test(agentId))
    return `agent ${JSON.stringify(agentId.slice(0, 60))} cannot have reply topics: its id holds characters a topic name cannot`;
  if (!topic.startsWith(own) || !REPLY_NAME.test(topic.slice(own.length)))
    return `must be ${own}<name>, <name> being 1 to 64 letters, digits, '_' or '-' (a reply topic of the call's own agent)`;
  if (topic.length > MAX_REPLY_TOPIC) return `must be at most ${MAX_REPLY_TOPIC} characters`;
  return undefined;
}
