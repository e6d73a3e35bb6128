import { newId } from "@airlock/shared";
import { huge, nestedArraysJson, nestedObjectsJson, ODD_UNICODE, SQL_METACHARACTERS } from "./inputs.js";

/** What a hostile request must come to. */
export type HttpExpectation =
  /** A 4xx with Airlock's JSON error body `{ error: { code, message } }`. */
  | "refused"
  /** Answered (2xx, or a 4xx with the JSON error body): a query that finds nothing, a cancellation of nothing. */
  | "answered"
  /** A tool call taken (2xx) and decided, every hostile string stored exactly as sent. */
  | "decided"
  /**
   * Refused (4xx); or taken and then either dead-lettered with a reason (a value a service cannot store)
   * or decided with the value stored exactly as sent.
   */
  | "handled";

/** One hostile HTTP request. */
export interface HttpCase {
  category: string;
  name: string;
  method: "GET" | "POST" | "DELETE" | "PUT";
  /** The path, given the seeded pending approval's id. */
  path: (pendingId: string) => string;
  body?: string | Buffer;
  contentType?: string;
  expect: HttpExpectation;
  /** For a tool call: the marker its dead letter or its stored event carries, and the field to check verbatim. */
  call?: { callId: string; marker: string; field?: { path: string[]; value: unknown } };
}

const enc = encodeURIComponent;

/** Hostile strings for a text field, with what a field bounded to 200 characters must do with each. */
function textValues(bounded: boolean): Array<{ name: string; value: string; expect: HttpExpectation }> {
  return [
    ...SQL_METACHARACTERS.map((value) => ({ name: `SQL ${JSON.stringify(value)}`, value, expect: "decided" as const })),
    ...ODD_UNICODE.map((value) => ({ name: `unicode ${JSON.stringify(value)}`, value, expect: "decided" as const })),
    { name: "10,000 characters", value: huge(10_000), expect: bounded ? "refused" : "decided" },
    { name: "200 three-byte characters", value: huge(200, "€"), expect: "decided" },
    { name: "a NUL character", value: "nul\u0000byte", expect: "handled" },
    { name: "a lone surrogate", value: "lone\ud800surrogate", expect: "handled" },
  ];
}

/** A tool-call body with `value` at `path`, a marker in its arguments, and its id. */
function toolCallWith(path: string[], value: unknown): { body: string; callId: string; marker: string } {
  const marker = `hostile-${newId()}`;
  const body: Record<string, unknown> = {
    agent_id: "hostile-agent",
    tool: "search_documents",
    args: { marker },
    context: {},
    metadata: {},
  };
  let target: Record<string, unknown> = body;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path.at(-1)!] = value;
  // The id is the call's own unless the field under test is the id.
  if (path[0] !== "call_id") body["call_id"] = newId();
  return { body: JSON.stringify(body), callId: body["call_id"] as string, marker };
}

/** Every text field of POST /v1/tool-calls, and whether it is bounded to 200 characters. */
const TEXT_FIELDS: Array<{ path: string[]; bounded: boolean }> = [
  { path: ["agent_id"], bounded: true },
  { path: ["tool"], bounded: true },
  { path: ["call_id"], bounded: true },
  { path: ["run_id"], bounded: true },
  { path: ["context", "user"], bounded: true },
  { path: ["context", "environment"], bounded: true },
  { path: ["context", "note"], bounded: false },
  { path: ["metadata", "note"], bounded: false },
  { path: ["args", "note"], bounded: false },
];

function toolCallTextCases(): HttpCase[] {
  const cases: HttpCase[] = [];
  for (const field of TEXT_FIELDS) {
    for (const { name, value, expect } of textValues(field.bounded)) {
      const { body, callId, marker } = toolCallWith(field.path, value);
      cases.push({
        category: "SQL metacharacters, odd Unicode and huge strings in text fields",
        name: `POST /v1/tool-calls ${field.path.join(".")}: ${name}`,
        method: "POST",
        // Only a call that will be decided is waited for; the others end refused or dead-lettered.
        path: () => (expect === "decided" ? "/v1/tool-calls?wait=20s" : "/v1/tool-calls"),
        body,
        expect,
        call: { callId: field.path[0] === "call_id" ? value : callId, marker, field: { path: field.path, value } },
      });
    }
  }
  // reply_to names a topic: anything but a topic name is refused.
  for (const value of [...SQL_METACHARACTERS, "a b", huge(300, "a"), "", "ü"]) {
    const { body, callId, marker } = toolCallWith(["reply_to"], value);
    cases.push({
      category: "SQL metacharacters, odd Unicode and huge strings in text fields",
      name: `POST /v1/tool-calls reply_to: ${JSON.stringify(value.slice(0, 40))}`,
      method: "POST",
      path: () => "/v1/tool-calls",
      body,
      expect: "refused",
      call: { callId, marker },
    });
  }
  return cases;
}

function post(category: string, name: string, body: string | Buffer, expect: HttpExpectation = "refused"): HttpCase {
  return { category, name, method: "POST", path: () => "/v1/tool-calls", body, expect };
}

function toolCallShapeCases(): HttpCase[] {
  const ok = { agent_id: "hostile-agent", tool: "search_documents", args: {} };
  const json = (value: unknown): string => JSON.stringify(value);
  return [
    post("malformed JSON", "truncated object", '{"agent_id":"a","tool":'),
    post("malformed JSON", "missing value", '{"agent_id":}'),
    post("malformed JSON", "trailing garbage", json(ok) + "}}"),
    post("malformed JSON", "single quotes", "{'agent_id':'a'}"),
    post("malformed JSON", "empty body", ""),
    post("malformed JSON", "a bare word", "nul"),
    post("wrong types", "a JSON array", "[]"),
    post("wrong types", "JSON null", "null"),
    post("wrong types", "a number", "42"),
    post("wrong types", "a string", '"call"'),
    post("wrong types", "agent_id a number", json({ ...ok, agent_id: 5 })),
    post("wrong types", "tool null", json({ ...ok, tool: null })),
    post("wrong types", "args a string", json({ ...ok, args: "rm -rf /" })),
    post("wrong types", "args an array", json({ ...ok, args: [1, 2] })),
    post("wrong types", "context a string", json({ ...ok, context: "prod" })),
    post("wrong types", "context.user a number", json({ ...ok, context: { user: 7 } })),
    post("wrong types", "metadata.require_approval a string", json({ ...ok, metadata: { require_approval: "no" } })),
    post("wrong types", "call_id an object", json({ ...ok, call_id: {} })),
    post("wrong types", "run_id true", json({ ...ok, run_id: true })),
    post("missing fields", "an empty object", "{}"),
    post("missing fields", "no tool", json({ agent_id: "a" })),
    post("missing fields", "no agent_id", json({ tool: "t" })),
    post("missing fields", "empty agent_id", json({ ...ok, agent_id: "" })),
    post("unknown fields", "an unknown top-level field", json({ ...ok, admin: true })),
    post("unknown fields", "a verdict smuggled in", json({ ...ok, verdict: { allowed: true } })),
    post("wrong action_digest", "a digest of other arguments", json({ ...ok, action_digest: "0".repeat(64) })),
    post("wrong action_digest", "not hex", json({ ...ok, action_digest: "zz" })),
    post("wrong action_digest", "uppercase hex", json({ ...ok, action_digest: "A".repeat(64) })),
    post("oversized payloads", "a 600 KiB body", json({ ...ok, args: { blob: huge(600 * 1024) } })),
    post(
      "oversized payloads",
      "a 300 KiB event (over the 256 KiB bound)",
      json({ ...ok, args: { blob: huge(300 * 1024) } }),
    ),
    post("oversized payloads", "a 300 KiB context", json({ ...ok, context: { blob: huge(300 * 1024) } })),
    post(
      "deeply nested",
      "args 33 levels deep",
      json({ ...ok, args: { x: JSON.parse(nestedArraysJson(33)) as unknown } }),
    ),
    post(
      "deeply nested",
      "args 50,000 levels deep",
      `{"agent_id":"a","tool":"t","args":{"x":${nestedArraysJson(50_000)}}}`,
    ),
    post(
      "deeply nested",
      "context 20,000 levels deep",
      `{"agent_id":"a","tool":"t","args":{},"context":{"x":${nestedObjectsJson(20_000)}}}`,
    ),
    post(
      "deeply nested",
      "metadata 20,000 levels deep",
      `{"agent_id":"a","tool":"t","args":{},"metadata":{"x":${nestedArraysJson(20_000)}}}`,
    ),
    post("prototype pollution", "__proto__ in args", '{"agent_id":"a","tool":"t","args":{"__proto__":{"admin":true}}}'),
    post(
      "prototype pollution",
      "constructor.prototype in args",
      '{"agent_id":"a","tool":"t","args":{"constructor":{"prototype":{"admin":true}}}}',
    ),
    post("prototype pollution", "__proto__ at the top", '{"agent_id":"a","tool":"t","__proto__":{"admin":true}}'),
    { ...post("wrong content type", "text/plain", json(ok)), contentType: "text/plain" },
    {
      ...post("wrong content type", "form-encoded", "agent_id=a&tool=t"),
      contentType: "application/x-www-form-urlencoded",
    },
    { ...post("wrong content type", "XML", "<call/>"), contentType: "application/xml" },
    post("wrong types", "wait not a duration", json(ok)),
  ].map((c) => (c.name === "wait not a duration" ? { ...c, path: () => "/v1/tool-calls?wait=soon" } : c));
}

function get(
  category: string,
  name: string,
  path: (pending: string) => string,
  expect: HttpExpectation = "refused",
): HttpCase {
  return { category, name, method: "GET", path, expect };
}

function readRouteCases(): HttpCase[] {
  const strings = [...SQL_METACHARACTERS, ...ODD_UNICODE];
  const cases: HttpCase[] = [];
  for (const s of strings) {
    const label = JSON.stringify(s);
    const cat = "SQL metacharacters in ids and queries";
    // An earlier case may have made a call with exactly this id: 404 or 200, never a fault.
    cases.push(get(cat, `GET /v1/tool-calls/${label}`, () => `/v1/tool-calls/${enc(s)}`, "answered"));
    cases.push(get(cat, `GET /v1/approvals/${label}`, () => `/v1/approvals/${enc(s)}`));
    cases.push(get(cat, `GET /v1/approvals?state=${label}`, () => `/v1/approvals?state=${enc(s)}`));
    cases.push(
      get(cat, `GET /v1/audit/events?subject=${label}`, () => `/v1/audit/events?subject=${enc(s)}`, "answered"),
    );
    cases.push(get(cat, `GET /v1/audit/events?type=${label}`, () => `/v1/audit/events?type=${enc(s)}`, "answered"));
    cases.push(get(cat, `GET /v1/audit/events?agent=${label}`, () => `/v1/audit/events?agent=${enc(s)}`, "answered"));
    cases.push(get(cat, `GET /v1/audit/events?chain=${label}`, () => `/v1/audit/events?chain=${enc(s)}`, "answered"));
    cases.push(get(cat, `GET /v1/audit/verify?chain=${label}`, () => `/v1/audit/verify?chain=${enc(s)}`, "answered"));
    cases.push(
      get(cat, `GET /v1/audit/checkpoints?chain=${label}`, () => `/v1/audit/checkpoints?chain=${enc(s)}`, "answered"),
    );
    cases.push(get(cat, `GET /v1/audit/proofs/${label}`, () => `/v1/audit/proofs/${enc(s)}`));
    cases.push(get(cat, `GET /v1/audit/consistency?from=${label}`, () => `/v1/audit/consistency?from=${enc(s)}`));
    cases.push({
      category: cat,
      name: `DELETE /v1/tool-calls/${label}`,
      method: "DELETE",
      path: () => `/v1/tool-calls/${enc(s)}`,
      expect: "answered",
    });
  }
  const nul = "NUL characters in ids and queries";
  for (const [name, path] of [
    ["GET /v1/tool-calls/:id", "/v1/tool-calls/a%00b"],
    ["GET /v1/approvals/:id", "/v1/approvals/a%00b"],
    ["GET /v1/audit/events?subject=", "/v1/audit/events?subject=a%00b"],
    ["GET /v1/audit/events?type=", "/v1/audit/events?type=a%00b"],
    ["GET /v1/audit/events?chain=", "/v1/audit/events?chain=a%00b"],
    ["GET /v1/audit/verify?chain=", "/v1/audit/verify?chain=a%00b"],
    ["GET /v1/audit/checkpoints?chain=", "/v1/audit/checkpoints?chain=a%00b"],
    ["DELETE /v1/tool-calls/:id", "/v1/tool-calls/a%00b?agent_id=a%00b"],
  ] as const) {
    cases.push({
      category: nul,
      name,
      method: name.startsWith("DELETE") ? "DELETE" : "GET",
      path: () => path,
      expect: "answered",
    });
  }
  const params = "wrong types in queries and paths";
  for (const [name, path] of [
    ["limit not a number", "/v1/approvals?limit=abc"],
    ["limit zero", "/v1/approvals?limit=0"],
    ["limit huge", "/v1/approvals?limit=100000000"],
    ["limit twice", "/v1/approvals?limit=1&limit=2"],
    ["events limit negative", "/v1/audit/events?limit=-5"],
    ["events after_seq text", "/v1/audit/events?after_seq=first"],
    ["events after_seq past 2^53", "/v1/audit/events?after_seq=99999999999999999999999"],
    ["events since not a time", "/v1/audit/events?since=yesterday"],
    ["proof of seq -1", "/v1/audit/proofs/-1"],
    ["proof of seq 1e30", "/v1/audit/proofs/1e30"],
    ["proof with a text checkpoint", "/v1/audit/proofs/0?checkpoint=latest"],
    ["consistency without from", "/v1/audit/consistency"],
    ["consistency backwards", "/v1/audit/consistency?from=5&to=2"],
    ["checkpoints after text", "/v1/audit/checkpoints?after=last"],
    ["wait negative", "/v1/tool-calls/x?wait=-1s"],
    ["wait twice", "/v1/tool-calls/x?wait=1s&wait=2s"],
  ] as const) {
    cases.push(get(params, name, () => path));
  }
  const urls = "malformed URLs";
  cases.push(get(urls, "a 5,000-character call id", () => `/v1/tool-calls/${huge(5000)}`));
  cases.push(get(urls, "a 5,000-character approval id", () => `/v1/approvals/${huge(5000)}`));
  cases.push(get(urls, "a broken percent-escape", () => "/v1/tool-calls/%E0%A4%A"));
  cases.push(get(urls, "a percent-escape of invalid UTF-8", () => "/v1/approvals/%FF%FE"));
  cases.push(get(urls, "path traversal", () => "/v1/tool-calls/..%2F..%2Fetc%2Fpasswd"));
  cases.push(get(urls, "an unknown route", () => "/v1/admin"));
  cases.push({
    category: urls,
    name: "PUT on a POST route",
    method: "PUT",
    path: () => "/v1/tool-calls",
    body: "{}",
    expect: "refused",
  });
  cases.push({
    category: urls,
    name: "POST on a read route",
    method: "POST",
    path: () => "/v1/audit/events",
    body: "{}",
    expect: "refused",
  });
  return cases;
}

function voteCases(): HttpCase[] {
  const category = "malformed votes";
  const vote = (pending: string): Record<string, unknown> => ({
    vote_id: newId(),
    request_id: pending,
    action_digest: "0".repeat(64),
    reviewer: "alice@corp.example",
    verdict: "approve",
    signature: Buffer.alloc(64).toString("base64"),
  });
  const cases: Array<[string, (pending: string) => string | Buffer, string?]> = [
    ["malformed JSON", () => '{"vote_id":'],
    ["an array", () => "[]"],
    ["empty object", () => "{}"],
    ["no signature", (p) => JSON.stringify({ ...vote(p), signature: undefined })],
    ["empty signature", (p) => JSON.stringify({ ...vote(p), signature: "" })],
    ["verdict maybe", (p) => JSON.stringify({ ...vote(p), verdict: "maybe" })],
    ["digest not hex", (p) => JSON.stringify({ ...vote(p), action_digest: "'; drop table approvals.votes; --" })],
    ["an unknown field", (p) => JSON.stringify({ ...vote(p), weight: 100 })],
    ["a 5,000-character comment", (p) => JSON.stringify({ ...vote(p), comment: huge(5000) })],
    ["a 300-character reviewer", (p) => JSON.stringify({ ...vote(p), reviewer: huge(300) })],
    ["request id of another request", (p) => JSON.stringify({ ...vote(p), request_id: `${p}-other` })],
    ["text/plain", (p) => JSON.stringify(vote(p)), "text/plain"],
  ];
  return cases.map(([name, body, contentType]) => ({
    category,
    name: `POST /v1/approvals/:id/votes ${name}`,
    method: "POST" as const,
    path: (pending: string) => `/v1/approvals/${enc(pending)}/votes`,
    body: body("PENDING"),
    ...(contentType ? { contentType } : {}),
    expect: "refused" as const,
  }));
}

/** Every hostile HTTP request, by category. Vote bodies name "PENDING", replaced with the pending request's id. */
export function httpCases(): HttpCase[] {
  return [...toolCallShapeCases(), ...toolCallTextCases(), ...readRouteCases(), ...voteCases()];
}
