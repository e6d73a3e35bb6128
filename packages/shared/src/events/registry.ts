import type { z } from "zod";
import * as data from "./data.js";
import { TOPICS, type Topic } from "./topics.js";

/**
 * Every Airlock event type: its data schema, the topic it is published to by default, and the key that
 * orders it (Kafka partition key, RabbitMQ routing key). Adding an event type is adding one line here.
 */
export const EVENT_TYPES = {
  "airlock.tool_call.requested": { schema: data.ToolCallRequested, topic: TOPICS.toolCalls, key: "agent_id" },
  "airlock.tool_call.cancelled": { schema: data.ToolCallCancelled, topic: TOPICS.toolCalls, key: "agent_id" },
  "airlock.policy.decided": { schema: data.PolicyDecided, topic: TOPICS.decisions, key: "agent_id" },
  "airlock.approval.opened": { schema: data.ApprovalOpened, topic: TOPICS.approvals, key: "request_id" },
  "airlock.vote.cast": { schema: data.VoteCast, topic: TOPICS.votes, key: "request_id" },
  "airlock.vote.refused": { schema: data.VoteRefused, topic: TOPICS.approvals, key: "request_id" },
  "airlock.approval.resolved": { schema: data.ApprovalResolved, topic: TOPICS.approvals, key: "request_id" },
  "airlock.verdict.final": { schema: data.VerdictFinal, topic: TOPICS.verdicts, key: "agent_id" },
  "airlock.audit.checkpoint": { schema: data.AuditCheckpoint, topic: TOPICS.audit, key: "chain" },
  "airlock.dead_letter": { schema: data.DeadLetter, topic: TOPICS.deadLetter, key: "consumer" },
} as const satisfies Record<string, { schema: z.ZodType; topic: Topic; key: string }>;

/** One of Airlock's event type names. */
export type EventType = keyof typeof EVENT_TYPES;

/** The `data` of an event of type T, as validated. */
export type EventData<T extends EventType> = z.output<(typeof EVENT_TYPES)[T]["schema"]>;

/** The `data` of an event of type T as a producer may write it (defaults may be omitted). */
export type EventDataInput<T extends EventType> = z.input<(typeof EVENT_TYPES)[T]["schema"]>;

/** The name of every event type. */
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

/** Whether a string names an Airlock event type. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_TYPES, type);
}

/** The key an event is ordered by: the value of its type's key field. */
export function keyOf<T extends EventType>(type: T, eventData: EventData<T>): string {
  const field = EVENT_TYPES[type].key;
  const value = (eventData as Record<string, unknown>)[field];
  return typeof value === "string" ? value : "";
}
