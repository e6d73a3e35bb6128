import { TOPICS, actionDigest, newId } from "@airlock/shared";
import {
  INVALID_UTF8,
  callData,
  envelope,
  huge,
  jsonWithBytes,
  nestedArraysJson,
  nestedObjectsJson,
  SQL_METACHARACTERS,
} from "./inputs.js";

/** Who must dead-letter a message: every consumer group of its topic, or only these. */
export type Refusers = "every consumer" | readonly string[];

/** One hostile message, published raw on a topic. */
export interface TopicCase {
  category: string;
  name: string;
  /** The bytes, given a marker to carry (when the payload can) and the topic. */
  payload: (marker: string, topic: string) => string | Buffer;
  /** Whether the dead letter can be told by the marker (else by its exact raw text). */
  marked: boolean;
  refusers: Refusers;
  /** Only on these topics (default: every topic). */
  topics?: readonly string[];
  /**
   * A message that is valid but names what a service cannot store or send on: it must be dead-lettered
   * or decided, and never stop the service from deciding what comes after it.
   */
  decidedOrDeadLettered?: boolean;
}

/** The event type each topic carries first and foremost: its malformed variants are built from it. */
const MAIN_TYPE: Record<string, string> = {
  [TOPICS.toolCalls]: "airlock.tool_call.requested",
  [TOPICS.decisions]: "airlock.policy.decided",
  [TOPICS.approvals]: "airlock.approval.opened",
  [TOPICS.votes]: "airlock.vote.cast",
  [TOPICS.verdicts]: "airlock.verdict.final",
  [TOPICS.audit]: "airlock.audit.checkpoint",
  [TOPICS.deadLetter]: "airlock.dead_letter",
};

const json = (value: unknown): string => JSON.stringify(value);
const every = "every consumer" as const;

/** An envelope of the topic's main type around `data`, its id carrying the marker. */
function onTopic(topic: string, marker: string, data: unknown, extra: Record<string, unknown> = {}): string {
  return json(envelope(MAIN_TYPE[topic] ?? "airlock.tool_call.requested", data, { id: marker, ...extra }));
}

/** A valid tool call's data, for the cases that break one thing about it. */
function call(marker: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return callData("hostile-agent", "search_documents", { marker }, extra);
}

/** Every hostile message, for every topic unless a case says otherwise. */
export const TOPIC_CASES: readonly TopicCase[] = [
  // Not JSON at all, or not an object.
  {
    category: "malformed JSON",
    name: "truncated",
    marked: true,
    refusers: every,
    payload: (m) => `{"id":"${m}","type":`,
  },
  {
    category: "malformed JSON",
    name: "prose",
    marked: true,
    refusers: every,
    payload: (m) => `hello ${m}, this is not JSON`,
  },
  {
    category: "malformed JSON",
    name: "trailing comma",
    marked: true,
    refusers: every,
    payload: (m) => `{"id":"${m}",}`,
  },
  { category: "malformed JSON", name: "an empty message", marked: false, refusers: every, payload: () => "" },
  { category: "malformed JSON", name: "JSON null", marked: false, refusers: every, payload: () => "null" },
  { category: "malformed JSON", name: "a JSON array", marked: false, refusers: every, payload: () => "[]" },
  { category: "malformed JSON", name: "a JSON number", marked: false, refusers: every, payload: () => "42" },
  // An envelope that is not CloudEvents 1.0 as Airlock writes it.
  {
    category: "wrong types",
    name: "specversion 0.3",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, call(m), { specversion: "0.3" }),
  },
  {
    category: "wrong types",
    name: "datacontenttype text/xml",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, call(m), { datacontenttype: "text/xml" }),
  },
  {
    category: "wrong types",
    name: "time not a time",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, call(m), { time: "noon" }),
  },
  {
    category: "wrong types",
    name: "data a string",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, "data"),
  },
  {
    category: "wrong types",
    name: "data an array",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, [1, 2]),
  },
  {
    category: "wrong types",
    name: "every data field a number",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, Object.fromEntries(Object.keys(call(m)).map((k) => [k, 7]))),
  },
  {
    category: "unknown event types",
    name: "airlock.nope",
    marked: true,
    refusers: every,
    payload: (m) => json(envelope("airlock.nope", {}, { id: m })),
  },
  {
    category: "unknown event types",
    name: "a type with SQL in it",
    marked: true,
    refusers: every,
    payload: (m) => json(envelope(SQL_METACHARACTERS[1]!, {}, { id: m })),
  },
  {
    category: "missing fields",
    name: "no data",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, undefined),
  },
  {
    category: "missing fields",
    name: "empty data",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, {}),
  },
  {
    category: "missing fields",
    name: "no id",
    marked: true,
    refusers: every,
    payload: (m, t) => json({ ...envelope(MAIN_TYPE[t]!, call(m)), id: undefined, source: m }),
  },
  {
    category: "unknown fields",
    name: "an extra envelope field",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, call(m), { admin: true }),
  },
  // Bounds.
  {
    category: "oversized payloads",
    name: "300 KiB (over the 256 KiB bound)",
    marked: true,
    refusers: every,
    payload: (m, t) => onTopic(t, m, call(m, { context: { blob: huge(300 * 1024) } })),
  },
  {
    category: "deeply nested",
    name: "args 50,000 levels deep",
    marked: true,
    refusers: every,
    payload: (m, t) =>
      `{"id":"${m}","specversion":"1.0","type":"${MAIN_TYPE[t]}","source":"s","time":"${new Date().toISOString()}","datacontenttype":"application/json","data":{"args":${nestedArraysJson(50_000)}}}`,
  },
  {
    category: "deeply nested",
    name: "data 20,000 objects deep",
    marked: true,
    refusers: every,
    payload: (m, t) =>
      `{"id":"${m}","specversion":"1.0","type":"${MAIN_TYPE[t]}","source":"s","time":"${new Date().toISOString()}","datacontenttype":"application/json","data":${nestedObjectsJson(20_000)}}`,
  },
  ...INVALID_UTF8.map(({ name, bytes }): TopicCase => ({
    category: "invalid UTF-8",
    name,
    marked: true,
    refusers: every,
    payload: (m, t) => jsonWithBytes(onTopic(t, m, call(m)).slice(0, -2), bytes, '"}'),
  })),
  // Valid events that break a rule a service checks.
  {
    category: "wrong action_digest",
    name: "a tool call whose digest is of other arguments",
    marked: true,
    refusers: ["policy"],
    topics: [TOPICS.toolCalls],
    payload: (m) =>
      json(
        envelope("airlock.tool_call.requested", {
          ...call(m),
          action_digest: actionDigest({ agent_id: "hostile-agent", tool: "search_documents", args: { other: true } }),
        }),
      ),
  },
  {
    category: "wrong action_digest",
    name: "a decision to escalate without a requirement",
    marked: true,
    refusers: ["approvals"],
    topics: [TOPICS.decisions],
    payload: (m) =>
      json(
        envelope("airlock.policy.decided", {
          ...call(m),
          action: "escalate",
          rule: null,
          reason: "forged",
          policy: { name: "forged", version: "0".repeat(64) },
        }),
      ),
  },
  {
    category: "values a store cannot hold",
    name: "a NUL character in a tool name",
    marked: true,
    refusers: [],
    decidedOrDeadLettered: true,
    topics: [TOPICS.toolCalls],
    payload: (m) =>
      json(envelope("airlock.tool_call.requested", callData("hostile-agent", "nul\u0000tool", { marker: m }))),
  },
  {
    category: "values a store cannot hold",
    name: "a lone surrogate in the arguments",
    marked: true,
    refusers: [],
    decidedOrDeadLettered: true,
    topics: [TOPICS.toolCalls],
    // Built as text: the digest cannot be computed over a lone surrogate, so it is any digest.
    payload: (m) =>
      json(envelope("airlock.tool_call.requested", { ...call(m), action_digest: "0".repeat(64) })).replace(
        `"marker":"${m}"`,
        `"marker":"${m}","bad":"\\ud800"`,
      ),
  },
  {
    category: "huge strings in text fields",
    name: "an agent id of 200 three-byte characters (600 bytes: over a RabbitMQ routing key)",
    marked: true,
    refusers: [],
    decidedOrDeadLettered: true,
    topics: [TOPICS.toolCalls],
    payload: (m) =>
      json(envelope("airlock.tool_call.requested", callData(huge(200, "€"), "search_documents", { marker: m }))),
  },
  {
    category: "huge strings in text fields",
    // Once it was decided, and its verdict's topic refused by Kafka; now no reply topic of its agent.
    name: "a reply_to outside its agent's reply topics (airlock_verdicts: it collides with airlock.verdicts on Kafka)",
    marked: true,
    refusers: every,
    topics: [TOPICS.toolCalls],
    payload: (m) => json(envelope("airlock.tool_call.requested", call(m, { reply_to: "airlock_verdicts" }))),
  },
  ...SQL_METACHARACTERS.slice(0, 4).map((value): TopicCase => ({
    category: "SQL metacharacters in text fields",
    name: `every id and text of a vote: ${JSON.stringify(value)}`,
    marked: true,
    refusers: [],
    decidedOrDeadLettered: true,
    topics: [TOPICS.votes],
    payload: (m) =>
      json(
        envelope("airlock.vote.cast", {
          vote_id: `${m}${value}`.slice(0, 200),
          request_id: value,
          action_digest: "0".repeat(64),
          reviewer: value,
          verdict: "approve",
          comment: value,
          signature: Buffer.alloc(64).toString("base64"),
        }),
      ),
  })),
];

/** A marker no other message carries. */
export function marker(): string {
  return `hostile-${newId()}`;
}
