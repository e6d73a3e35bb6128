import { EVENT_TYPES, TOPICS, keyOf, validateEvent, type AirlockEvent } from "../events/index.js";
import { AirlockError } from "../errors.js";
import type { Queryable } from "../sql/client.js";

/** One event waiting in a service's outbox. */
export interface OutboxRow {
  id: number;
  topic: string;
  key: string;
  event: AirlockEvent;
}

/** An event to publish once the transaction commits; `topic` defaults to the event type's topic. */
export interface OutgoingEvent {
  event: AirlockEvent;
  topic?: string;
}

/** The DDL of a service's outbox; each service's first migration creates it in its own schema. */
export function outboxTableSql(schema: string): string {
  return `create table ${schema}.outbox (
  id bigserial primary key,
  topic text not null,
  key text not null,
  event jsonb not null,
  created_at timestamptz not null default now()
);`;
}

/**
 * Write events to the outbox inside the caller's transaction: they are published if and only if the
 * state change that caused them commits. Each event is validated here, so a bad one fails the
 * transaction instead of sitting in the outbox forever. A verdict sent to a call's own `reply_to` topic is
 * also sent to `airlock.verdicts` (the same event, same id), so the audit log — and everyone reading it —
 * sees every verdict; consumers dedupe by id.
 */
export async function enqueueEvents(tx: Queryable, schema: string, events: readonly OutgoingEvent[]): Promise<void> {
  if (events.length === 0) return;
  const topics: string[] = [];
  const keys: string[] = [];
  const bodies: string[] = [];
  const copies = events.flatMap((outgoing) =>
    outgoing.event.type === "airlock.verdict.final" &&
    outgoing.topic !== undefined &&
    outgoing.topic !== TOPICS.verdicts
      ? [outgoing, { event: outgoing.event }]
      : [outgoing],
  );
  for (const { event, topic } of copies) {
    const checked = validateEvent(event);
    if (!checked.ok) {
      throw new AirlockError(`refusing to enqueue an invalid ${event.type}: ${checked.reason}`, {
        code: "invalid_event",
        retriable: false,
      });
    }
    topics.push(topic ?? EVENT_TYPES[event.type].topic);
    keys.push(keyOf(event.type, event.data as never));
    bodies.push(JSON.stringify(event));
  }
  await tx.query(
    `insert into ${schema}.outbox (topic, key, event)
     select * from unnest($1::text[], $2::text[], $3::jsonb[])`,
    [topics, keys, bodies],
  );
}

/** The oldest rows, locked so that another relay instance skips them. */
export function claimBatchSql(schema: string): string {
  return `select id, topic, key, event from ${schema}.outbox order by id limit $1 for update skip locked`;
}

/** Remove published rows. */
export function deleteSql(schema: string): string {
  return `delete from ${schema}.outbox where id = any($1::bigint[])`;
}
