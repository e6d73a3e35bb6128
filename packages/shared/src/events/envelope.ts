import { z } from "zod";
import { newId } from "../ids.js";
import { MAX_EVENT_BYTES } from "../limits.js";
import { EVENT_TYPES, isEventType, type EventData, type EventDataInput, type EventType } from "./registry.js";

/** The CloudEvents 1.0 structured-mode envelope every Airlock message travels in. */
export const Envelope = z.strictObject({
  specversion: z.literal("1.0"),
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  source: z.string().min(1).max(500),
  subject: z.string().min(1).max(200).optional(),
  time: z.iso.datetime({ offset: true }),
  datacontenttype: z.literal("application/json"),
  data: z.unknown(),
});

/** An Airlock event of type T: envelope plus validated data. */
export type AirlockEvent<T extends EventType = EventType> = {
  [K in T]: Omit<z.output<typeof Envelope>, "type" | "data"> & { type: K; data: EventData<K> };
}[T];

/** Why a message is not a valid Airlock event. Never retried: it goes to the dead-letter topic. */
export type Invalid = { ok: false; reason: string };

/** The result of parsing a message off the wire: a value, not an exception. */
export type Parsed = { ok: true; event: AirlockEvent } | Invalid;

/**
 * Parse the bytes of one message: size bound, JSON, envelope, known type, the type's data schema.
 * Every failure says what was wrong, for the dead letter.
 */
export function parseEvent(raw: Uint8Array | string): Parsed {
  const bytes = typeof raw === "string" ? Buffer.byteLength(raw) : raw.byteLength;
  if (bytes > MAX_EVENT_BYTES) return { ok: false, reason: `event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}` };
  let json: unknown;
  try {
    const text = typeof raw === "string" ? raw : new TextDecoder("utf-8", { fatal: true }).decode(raw);
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not UTF-8 JSON: ${(error as Error).message}` };
  }
  return validateEvent(json);
}

/**
 * Where a value holds a string Postgres cannot store as text (a NUL character) or that PGlite reads back
 * changed (a leading byte-order mark): found iteratively, so a hostile depth cannot overflow the stack.
 */
function unstorableString(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") {
      if (item.includes("\u0000")) return "a NUL character (\\u0000)";
      if (item.startsWith("\uFEFF")) return "a string beginning with a byte-order mark (U+FEFF)";
    } else if (item !== null && typeof item === "object") {
      for (const [key, inner] of Object.entries(item)) stack.push(key, inner);
    }
  }
  return undefined;
}

/** Validate an already-decoded value as an Airlock event. */
export function validateEvent(value: unknown): Parsed {
  // Every event is stored (audit log, approvals, decisions): one that cannot be stored as it was sent is
  // refused here, with the reason, instead of stalling a consumer or reading back different.
  const unstorable = unstorableString(value);
  if (unstorable) return { ok: false, reason: `the event holds ${unstorable}, which cannot be stored as sent` };
  const envelope = Envelope.safeParse(value);
  if (!envelope.success) return { ok: false, reason: `not a CloudEvents envelope: ${z.prettifyError(envelope.error)}` };
  const { type } = envelope.data;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type "${type}"` };
  const result = EVENT_TYPES[type].schema.safeParse(envelope.data.data);
  if (!result.success) return { ok: false, reason: `invalid ${type} data: ${z.prettifyError(result.error)}` };
  return { ok: true, event: { ...envelope.data, type, data: result.data } as AirlockEvent };
}

/** What a producer says about an event; id and time are filled in. */
export interface NewEvent<T extends EventType> {
  type: T;
  source: string;
  subject?: string;
  data: EventDataInput<T>;
  id?: string;
  time?: Date;
}

/**
 * Build a valid event. Throws a TypeError when the data does not fit its schema: a producer bug,
 * caught before it reaches the wire.
 */
export function createEvent<T extends EventType>(spec: NewEvent<T>): AirlockEvent<T> {
  const candidate = {
    specversion: "1.0",
    id: spec.id ?? newId(),
    type: spec.type,
    source: spec.source,
    ...(spec.subject === undefined ? {} : { subject: spec.subject }),
    time: (spec.time ?? new Date()).toISOString(),
    datacontenttype: "application/json",
    data: spec.data,
  };
  const parsed = validateEvent(candidate);
  if (!parsed.ok) throw new TypeError(parsed.reason);
  return parsed.event as AirlockEvent<T>;
}

/** Narrow an event to one type. */
export function isEvent<T extends EventType>(
  event: AirlockEvent,
  type: T,
): event is Extract<AirlockEvent, { type: T }> {
  return event.type === type;
}
