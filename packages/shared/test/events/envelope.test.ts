import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  EVENT_TYPES,
  EVENT_TYPE_NAMES,
  MAX_EVENT_BYTES,
  TOPICS,
  actionDigest,
  createEvent,
  keyOf,
  parseEvent,
  validateEvent,
} from "../../src/index.js";
import { toolCall } from "../helpers.js";

describe("event envelope", () => {
  it("builds a CloudEvents 1.0 envelope with id and time filled in", () => {
    const event = toolCall("finance-agent", { amount: 5 });
    expect(event).toMatchObject({
      specversion: "1.0",
      type: "airlock.tool_call.requested",
      datacontenttype: "application/json",
    });
    expect(event.id).toMatch(/^[A-Za-z0-9_]{22}$/);
    expect(new Date(event.time).toISOString()).toBe(event.time);
    expect(event.data.context).toEqual({}); // defaults applied
  });

  it("round-trips through parseEvent", () => {
    const event = toolCall();
    expect(parseEvent(JSON.stringify(event))).toEqual({ ok: true, event });
    expect(parseEvent(Buffer.from(JSON.stringify(event)))).toEqual({ ok: true, event });
  });

  it("says why a message is not an event", () => {
    const event = toolCall();
    const reason = (raw: unknown) => {
      const parsed = typeof raw === "string" ? parseEvent(raw) : validateEvent(raw);
      return parsed.ok ? "ok" : parsed.reason;
    };
    expect(reason("{")).toMatch(/^not UTF-8 JSON/);
    expect(parseEvent(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not UTF-8 JSON/) as unknown,
    });
    expect(reason({ ...event, specversion: "0.3" })).toMatch(/^not a CloudEvents envelope/);
    expect(reason({ ...event, extra: 1 })).toMatch(/^not a CloudEvents envelope/);
    expect(reason({ ...event, time: "yesterday" })).toMatch(/^not a CloudEvents envelope/);
    expect(reason({ ...event, type: "airlock.other" })).toBe('unknown event type "airlock.other"');
    expect(reason({ ...event, data: { ...event.data, action_digest: "ABC" } })).toMatch(/action_digest/);
    expect(reason({ ...event, data: { ...event.data, args: [] } })).toMatch(/args/);
    expect(reason({ ...event, data: { ...event.data, reply_to: "no spaces allowed" } })).toMatch(/reply_to/);
    expect(reason({ ...event, data: { ...event.data, surprise: true } })).toMatch(/surprise/);
  });

  it("refuses events over the size bound before parsing them", () => {
    const raw = JSON.stringify(toolCall("a", { blob: "x".repeat(MAX_EVENT_BYTES) }));
    expect(parseEvent(raw)).toEqual({
      ok: false,
      reason: `event is ${Buffer.byteLength(raw)} bytes; the limit is ${MAX_EVENT_BYTES}`,
    });
  });

  it("refuses arguments nested deeper than the bound", () => {
    let args: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) args = { nested: args };
    const call = { agent_id: "a", tool: "t", args };
    expect(() =>
      createEvent({
        type: "airlock.tool_call.requested",
        source: "agent/a",
        data: { ...call, call_id: "c", run_id: "r", action_digest: actionDigest(call) },
      }),
    ).toThrow(/deeper than 32/);
  });

  it("knows a topic and a key field for every type", () => {
    for (const type of EVENT_TYPE_NAMES) {
      expect(Object.values(TOPICS)).toContain(EVENT_TYPES[type].topic);
    }
    const event = toolCall("agent-9");
    expect(keyOf(event.type, event.data)).toBe("agent-9");
  });

  it("never throws on arbitrary input: every value is an event or a reason", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = validateEvent(value);
        expect(parsed.ok ? true : parsed.reason.length > 0).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const parsed = parseEvent(bytes);
        expect(parsed.ok).toBe(false);
      }),
    );
  });
});
