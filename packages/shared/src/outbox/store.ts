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
 * Events checked and laid out for the outbox's INSERT: parallel arrays for `unnest`, in order. A verdict
 * sent to a call's own `reply_to` topic is also sent to `airlock.verdicts` (the same event, same id), so
 * the audit log — and everyone reading it — sees every verdict; consumers dedupe by id. Each event is
 * validated here, so a bad one fails the transaction instead of sitting in the outbox forever.
 */
export interface PreparedOutgoing {
  topics: string[];
  keys: string[];
  /** JSON of each event, for a `jsonb[]` parameter. */
  bodies: string[];
  events: AirlockEvent[];
}

/** Check and lay out events for the outbox (see {@link PreparedOutgoing}). */
export function prepareOutgoing(events: readonly OutgoingEvent[]): PreparedOutgoing {
  const prepared: PreparedOutgoing = { topics: [], keys: [], bodies: [], events: [] };
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
    prepared.topics.push(topic ?? EVENT_TYPES[event.type].topic);
    prepared.keys.push(keyOf(event.type, event.data as never));
    prepared.bodies.push(JSON.stringify(event));
    prepared.events.push(event);
  }
  return prepared;
}

/**
 * The outbox rows of prepared events, given the ids their INSERT returned. bigserial ids are drawn in
 * the order of the inserting SELECT's rows, which is unnest's order, so sorted ids pair up with it.
 */
export function outboxRows(prepared: PreparedOutgoing, ids: ReadonlyArray<number | string>): OutboxRow[] {
  const sorted = ids.map(Number).sort((a, b) => a - b);
  if (sorted.length !== prepared.events.length)
    throw new Error(`the outbox INSERT returned ${sorted.length} ids for ${prepared.events.length} events`);
  return sorted.map((id, i) => ({
    id,
    topic: prepared.topics[i]!,
    key: prepared.keys[i]!,
    event: prepared.events[i]!,
  }));
}

/**
 * Write events to the outbox inside the caller's transaction: they are published if and only if the
 * state change that caused them commits (see {@link PreparedOutgoing} for what is checked and copied).
 * Returns the rows written, in order: after COMMIT, hand them to {@link OutboxRelay.dispatch} to publish
 * them at once (or call `kick()` and let the relay find them).
 */
export async function enqueueEvents(
  tx: Queryable,
  schema: string,
  events: readonly OutgoingEvent[],
): Promise<OutboxRow[]> {
  if (events.length === 0) return [];
  const prepared = prepareOutgoing(events);
  const { rows } = await tx.query<{ id: number | string }>(
    `insert into ${schema}.outbox (topic, key, event)
     select * from unnest($1::text[], $2::text[], $3::jsonb[])
     returning id`,
    [prepared.topics, prepared.keys, prepared.bodies],
  );
  return outboxRows(
    prepared,
    rows.map((row) => row.id),
  );
}

/**
 * The oldest rows, locked so that another relay instance skips them. $1: how many; $2: ids to leave
 * alone (this process is publishing them itself); $3: the age in seconds a row must have, so that rows
 * another instance is dispatching right now are left to it (0: any row).
 */
export function claimBatchSql(schema: string): string {
  return `select id, topic, key, event from ${schema}.outbox
           where id <> all($2::bigint[]) and created_at <= clock_timestamp() - make_interval(secs => $3::float8)
           order by id limit $1 for update skip locked`;
}

/** Remove published rows. */
export function deleteSql(schema: string): string {
  return `delete from ${schema}.outbox where id = any($1::bigint[])`;
}
