import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  EVENT_TYPE_NAMES,
  MAX_EVENT_BYTES,
  REPLY_TOPIC_PREFIX,
  createEvent,
  parseEvent,
  replyToProblem,
  type EventType,
} from "@airlock/shared";
import { writeFigures } from "../faults/support/results.js";
import { nestedArrays } from "./support/inputs.js";
import { Tally } from "./support/tally.js";

// Property-based: whatever arrives on a topic, parseEvent never throws — it returns the event or the
// reason it is refused (the dead letter's reason). Valid events of every type survive the wire; each way
// of breaking one (a field missing, a field of the wrong type, an unknown field, an unknown type, too big,
// too deep) is refused, and the reason names what is wrong.

const RUNS = Number(process.env["AIRLOCK_PROPERTY_RUNS"] ?? 300);
const tally = new Tally();

const id = fc.string({ minLength: 1, maxLength: 40 });
const text = fc.string({ maxLength: 60 });
const digest = fc.stringMatching(/^[0-9a-f]{64}$/);
const time = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const json = fc.jsonValue({ maxDepth: 3 });
const args = fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 5 });
const requirement = fc.record({
  pool: fc.option(id, { nil: null }),
  reviewers: fc.array(id, { minLength: 1, maxLength: 4 }),
  quorum: fc.integer({ min: 1, max: 5 }),
  veto: fc.boolean(),
  confirm_by_requester: fc.boolean(),
  timeout_ms: fc.integer({ min: 1, max: 10_000_000 }),
  on_timeout: fc.constantFrom("deny", "allow"),
});
const call = {
  call_id: id,
  agent_id: id,
  run_id: id,
  tool: id,
  args,
  action_digest: digest,
};
const CALL_KEYS = ["call_id", "agent_id", "run_id", "tool", "args", "action_digest"] as const;
const context = fc.record({ user: id, environment: id }, { requiredKeys: [] });

/** Valid `data` for every event type. */
const DATA: Record<EventType, fc.Arbitrary<Record<string, unknown>>> = {
  "airlock.tool_call.requested": fc
    .record(
      {
        ...call,
        context,
        metadata: fc.record({ require_approval: fc.boolean() }, { requiredKeys: [] }),
        reply_to: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
      },
      { requiredKeys: [...CALL_KEYS] },
    )
    .map(ownReplyTo),
  "airlock.tool_call.cancelled": fc.record(
    { call_id: id, agent_id: id, reason: text },
    { requiredKeys: ["call_id", "agent_id"] },
  ),
  "airlock.policy.decided": fc.record(
    {
      ...call,
      context,
      action: fc.constantFrom("allow", "deny", "escalate", "audit"),
      rule: fc.option(text, { nil: null }),
      reason: text,
      policy: fc.record({ name: text, version: digest }),
      approval: requirement,
    },
    { requiredKeys: [...CALL_KEYS, "context", "action", "rule", "reason", "policy"] },
  ),
  "airlock.approval.opened": fc.record({
    request_id: id,
    call_id: id,
    agent_id: id,
    tool: text,
    args,
    action_digest: digest,
    requester: fc.option(text, { nil: null }),
    rule: fc.option(text, { nil: null }),
    reason: text,
    requirement,
    expires_at: time,
  }),
  "airlock.vote.cast": fc.record(
    {
      vote_id: id,
      request_id: id,
      action_digest: digest,
      reviewer: id,
      verdict: fc.constantFrom("approve", "reject"),
      comment: text,
      signature: fc.base64String({ minLength: 4, maxLength: 88 }),
    },
    { requiredKeys: ["vote_id", "request_id", "action_digest", "reviewer", "verdict", "signature"] },
  ),
  "airlock.vote.refused": fc.record({ vote_id: id, request_id: id, reviewer: text, reason: text }),
  "airlock.approval.resolved": fc.record({
    request_id: id,
    call_id: id,
    outcome: fc.constantFrom("approved", "rejected", "expired", "cancelled"),
    tally: fc.record({ approvals: fc.array(text), rejections: fc.array(text), quorum: fc.integer({ min: 1, max: 9 }) }),
    resolved_at: time,
  }),
  "airlock.verdict.final": fc.record({
    call_id: id,
    agent_id: id,
    action_digest: digest,
    allowed: fc.boolean(),
    outcome: fc.constantFrom("allow", "deny", "audit", "approved", "rejected", "expired", "cancelled"),
    reason: text,
    decided_by: fc.constantFrom("policy", "approval", "timeout"),
  }),
  "airlock.audit.checkpoint": fc.record({
    chain: text,
    tree_size: fc.integer({ min: 0, max: 1_000_000 }),
    root_hash: digest,
    head_hash: digest,
    signed_at: time,
    key_id: text,
    signature: text,
  }),
  "airlock.dead_letter": fc.record({
    topic: text,
    consumer: text,
    reason: text,
    raw: text,
    raw_bytes: fc.integer({ min: 0, max: 1_000_000 }),
  }),
};

const anyType = fc.constantFrom(...EVENT_TYPE_NAMES);
const validEvent = anyType.chain((type) =>
  DATA[type].map((data) => createEvent({ type, source: "property/test", subject: "s", data: data as never })),
);

function refused(raw: string | Uint8Array): string {
  const parsed = parseEvent(raw);
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return "";
  expect(parsed.reason.length).toBeGreaterThan(0);
  return parsed.reason;
}

describe("parseEvent under arbitrary input", () => {
  afterAll(async () => {
    await writeFigures("hostile", "event-properties", { runs_per_property: RUNS, ...tally.figures() });
  });

  it("never throws on arbitrary JSON, and refuses it with a reason", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        refused(JSON.stringify(value) ?? "null");
        tally.record("arbitrary JSON", "refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on arbitrary bytes or strings (lone surrogates included)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.string({ unit: "binary", maxLength: 256 })), (raw) => {
        const parsed = parseEvent(raw);
        if (!parsed.ok) expect(parsed.reason).not.toBe("");
        tally.record("arbitrary bytes and strings", parsed.ok ? "accepted" : "refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on envelopes with arbitrary data, and says what is wrong with the data", () => {
    fc.assert(
      fc.property(anyType, fc.anything(), (type, data) => {
        const raw = JSON.stringify({
          specversion: "1.0",
          id: "x",
          type,
          source: "s",
          time: new Date().toISOString(),
          datacontenttype: "application/json",
          data,
        });
        const parsed = parseEvent(raw ?? "");
        if (!parsed.ok) expect(parsed.reason).toMatch(/invalid|envelope|JSON/);
        tally.record("envelopes with arbitrary data", parsed.ok ? "accepted" : "refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("lets every valid event of every type through the wire unchanged", () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const wire = JSON.stringify(event);
        const parsed = parseEvent(Buffer.from(wire));
        expect(parsed.ok, parsed.ok ? "" : parsed.reason).toBe(true);
        if (parsed.ok) expect(JSON.stringify(parsed.event)).toBe(wire);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a valid event with a required field removed, naming the field", () => {
    fc.assert(
      fc.property(validEvent, fc.nat(), (event, pick) => {
        const data = { ...(event.data as Record<string, unknown>) };
        const keys = Object.keys(data).filter((key) => !isOptional(event.type, key));
        const key = keys[pick % keys.length]!;
        delete data[key];
        expect(refused(JSON.stringify({ ...event, data }))).toContain(key);
        tally.record("a required field missing", "refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a valid event with a field of the wrong type, naming the field", () => {
    fc.assert(
      fc.property(validEvent, fc.nat(), (event, pick) => {
        const data = { ...(event.data as Record<string, unknown>) };
        const keys = Object.keys(data);
        const key = keys[pick % keys.length]!;
        // A number where a string (or a nullable string) goes, a string anywhere else.
        data[key] = typeof data[key] === "string" || data[key] === null ? 12345 : "a string";
        expect(refused(JSON.stringify({ ...event, data }))).toContain(key);
        tally.record("a field of the wrong type", "refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a valid event with an unknown field, or of an unknown type", () => {
    fc.assert(
      fc.property(validEvent, fc.stringMatching(/^[a-z_]{1,20}$/), (event, name) => {
        const field = `x_${name}`;
        expect(refused(JSON.stringify({ ...event, data: { ...(event.data as object), [field]: 1 } }))).toContain(field);
        expect(refused(JSON.stringify({ ...event, type: `airlock.${name}.nope` }))).toContain("unknown event type");
        expect(refused(JSON.stringify({ ...event, [field]: true }))).toContain("envelope");
        tally.record("unknown fields and types", "refused");
        tally.record("unknown fields and types", "refused");
        tally.record("unknown fields and types", "refused");
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses an event over 256 KiB and arguments nested deeper than 32 levels", () => {
    const call = createEvent({
      type: "airlock.tool_call.requested",
      source: "s",
      data: { call_id: "c", agent_id: "a", run_id: "r", tool: "t", args: {}, action_digest: "0".repeat(64) },
    });
    const big = JSON.stringify({ ...call, data: { ...call.data, args: { blob: "x".repeat(MAX_EVENT_BYTES) } } });
    expect(refused(big)).toContain(`limit is ${MAX_EVENT_BYTES}`);
    const deep = JSON.stringify({ ...call, data: { ...call.data, args: { x: nestedArrays(40) } } });
    expect(refused(deep)).toContain("deeper than 32");
    tally.record("oversized and deeply nested", "refused");
    tally.record("oversized and deeply nested", "refused");
  });
});

/**
 * A reply_to is a reply topic of the call's own agent (`airlock.replies.<agent_id>.<name>`): the generated
 * name goes under the generated agent, and is left out for an agent whose id no topic name can hold.
 */
function ownReplyTo(data: Record<string, unknown>): Record<string, unknown> {
  if (data["reply_to"] === undefined) return data;
  const { reply_to: name, ...rest } = data;
  const agent = String(data["agent_id"]);
  const topic = `${REPLY_TOPIC_PREFIX}${agent}.${name as string}`;
  return replyToProblem(agent, topic) === undefined ? { ...rest, reply_to: topic } : rest;
}

/** Fields a type's data may leave out. */
function isOptional(type: EventType, key: string): boolean {
  const optional: Partial<Record<EventType, string[]>> = {
    "airlock.tool_call.requested": ["context", "metadata", "reply_to"],
    "airlock.tool_call.cancelled": ["reason"],
    "airlock.policy.decided": ["approval", "reply_to"],
    "airlock.vote.cast": ["comment"],
  };
  return optional[type]?.includes(key) ?? false;
}
