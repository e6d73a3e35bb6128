import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@airlock/shared/testing";
import { readAuditLog } from "../../bench/soak/audit-log.js";
import { writeFigures } from "../faults/support/results.js";
import { httpCases, type HttpCase } from "./support/http-cases.js";
import {
  DeadLetterWatch,
  embeddedTarget,
  expectStillSound,
  seedAndRecord,
  seededIds,
  type Baseline,
  type HostileTarget,
} from "./support/stacks.js";
import { Tally, type Outcome } from "./support/tally.js";

// Every HTTP route of the API (the embedded stack serves them all on one port) against malformed JSON,
// wrong types, missing and unknown fields, oversize, deep nesting, wrong digests, prototype pollution,
// SQL metacharacters, NUL characters, odd Unicode and huge strings in every text field. Each request
// gets a JSON error with a code (4xx, never a 5xx), or — a hostile string in a valid call — is decided
// with the string stored exactly as sent, or is dead-lettered with its reason. Afterwards the process is
// healthy, the audit log verifies and kept its entries, the seeded approvals are as they were, and good
// calls are still decided.
describe("hostile HTTP input", () => {
  let target: HostileTarget;
  let before: Baseline;
  let pendingId: string;
  let letters: DeadLetterWatch;
  const tally = new Tally();

  beforeAll(async () => {
    target = await embeddedTarget();
    letters = await DeadLetterWatch.start(target.transport);
    before = await seedAndRecord(target);
    pendingId = seededIds(before)[1];
  }, 120_000);

  afterAll(async () => {
    await writeFigures("hostile", "http-embedded", { broker: "memory", ...tally.figures() });
    await letters?.close();
    await target?.stop();
  });

  it.each(httpCases().map((c) => [`${c.category}: ${c.name}`, c] as const))("%s", (_, c: HttpCase) =>
    tally.check(c.category, () => send(c)),
  );

  /** Send one hostile request and check what became of it. */
  async function send(c: HttpCase): Promise<Outcome> {
    const url = target.url();
    const body = typeof c.body === "string" ? c.body.replaceAll("PENDING", pendingId) : c.body;
    const response = await fetch(url + c.path(pendingId), {
      method: c.method,
      ...(body === undefined ? {} : { body, headers: { "content-type": c.contentType ?? "application/json" } }),
    });
    const text = await response.text();
    const json = parse(text);
    expect(response.status, `a fault, not a client error: ${text.slice(0, 300)}`).toBeLessThan(500);
    if (response.status >= 400) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      expect(
        typeof error?.code === "string" && typeof error.message === "string",
        `Airlock's JSON error body { error: { code, message } }: ${text.slice(0, 300)}`,
      ).toBe(true);
    }
    switch (c.expect) {
      case "refused":
        expect(response.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
        return "refused";
      case "answered":
        return response.status >= 400 ? "refused" : "accepted";
      case "decided":
        expect(response.status, text.slice(0, 300)).toBe(200);
        expect(json).toMatchObject({ verdict: { call_id: c.call!.callId } });
        await expectStoredVerbatim(url, c);
        return "accepted";
      case "handled": {
        if (response.status >= 400) return "refused";
        expect(response.status).toBe(202);
        const { callId, marker } = c.call!;
        let decided = false;
        await waitFor(
          async () => {
            if (letters.naming(marker).length > 0) return true;
            // A subject the audit API cannot look up (a NUL) fails its own case; here it only means "not yet".
            const subject = uriComponent(callId);
            if (subject === undefined) return false;
            const verdicts = await readAuditLog(url, `&subject=${subject}&type=airlock.verdict.final`).catch(() => []);
            decided = verdicts.length > 0;
            return decided;
          },
          `a dead letter or a verdict for ${c.name}`,
          30_000,
        );
        if (decided) {
          await expectStoredVerbatim(url, c);
          return "accepted";
        }
        for (const letter of letters.naming(marker)) expect(letter.data.reason).not.toBe("");
        return "dead_lettered";
      }
    }
  }

  it("leaves the process healthy, the log intact, the approvals unchanged, and good calls decided", async () => {
    await expectStillSound(target, before);
  }, 60_000);
});

/** The call's tool_call.requested in the audit log holds the hostile value exactly as it was sent. */
async function expectStoredVerbatim(url: string, c: HttpCase): Promise<void> {
  const { callId, field } = c.call!;
  const query = `&subject=${uriComponent(callId) ?? ""}&type=airlock.tool_call.requested`;
  await waitFor(async () => (await readAuditLog(url, query)).length === 1, "the call in the audit log");
  const [logged] = await readAuditLog(url, query);
  expect(valueAt(logged!.event.data, field!.path), "stored exactly as sent").toEqual(field!.value);
}

/** A URI component, or undefined for a string URIs cannot carry (a lone surrogate). */
function uriComponent(text: string): string | undefined {
  try {
    return encodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}
