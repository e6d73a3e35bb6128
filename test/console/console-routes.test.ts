import { afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import {
  createEvent,
  createHttpServer,
  createMetrics,
  createTransport,
  newId,
  silentLogger,
  type Transport,
} from "@airlock/shared";
import { uniqueNamespace, waitFor } from "@airlock/shared/testing";
// Until services/gateway/src/index.ts re-exports the console, it is imported from its folder.
import { consoleRoutes, STREAM_LIMITS, type ApprovalChange } from "@airlock/gateway";

// The console's server side on its own: the page and its files, and the live feed, with the approvals
// store replaced by a reader the test scripts.

const DIGEST = "d".repeat(64);

function approval(id: string, votes: string[] = []) {
  return {
    id,
    call_id: `call-${id}`,
    state: "pending",
    agent: "finance-agent",
    tool: "transfer_funds",
    args: { amount: 5000 },
    action_digest: DIGEST,
    requester: "dave@corp.example",
    rule: "transfers-need-two",
    reason: "Transfers over 1000 need two finance admins",
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    time_left_ms: 60_000,
    requirement: { quorum: 2, reviewers: ["alice@corp.example", "bob@corp.example"] },
    votes: votes.map((vote_id) => ({ vote_id, reviewer: "alice@corp.example", verdict: "approve", role: "pool" })),
    tally: { approvals: votes.length, rejections: 0, quorum: 2 },
    resolution: null,
    refusals: [],
  };
}

/** The events of a text/event-stream, as they arrive. */
class EventReader {
  readonly events: Array<{ event: string; data: unknown }> = [];
  #buffer = "";

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {
    void this.#pump();
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await this.reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      this.#buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = this.#buffer.indexOf("\n\n")) >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) this.events.push({ event, data: JSON.parse(data) as unknown });
      }
    }
  }
}

describe("the console's routes", () => {
  let transport: Transport;
  let server: FastifyInstance | undefined;
  afterEach(async () => {
    await server?.close();
    await transport?.close();
  });

  async function start(read: (id: string) => Promise<unknown>): Promise<string> {
    transport = await createTransport(`memory://${uniqueNamespace("console")}`, { logger: silentLogger() });
    await transport.start();
    server = await createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics(),
      routes: [consoleRoutes({ transport, logger: silentLogger(), read })],
    });
    return server.listen({ host: "127.0.0.1", port: 0 });
  }

  it("serves the page and its files from memory, with a strict content security policy", async () => {
    const url = await start(() => Promise.resolve(null));
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/console/js/main.js">');
    const etag = page.headers.get("etag");
    expect((await fetch(`${url}/`, { headers: { "if-none-match": etag ?? "" } })).status).toBe(304);

    const script = await fetch(`${url}/console/js/signing.js`);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(await script.text()).toContain("importPrivateKey");
    const missing = await fetch(`${url}/console/js/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
    expect((await fetch(`${url}/console/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
  });

  it("streams changed requests, reading a counted vote until it shows", async () => {
    const requestId = newId();
    const voteId = newId();
    let reads = 0;
    const url = await start((id) => {
      reads++;
      // The approvals service handles the vote on the third read.
      return Promise.resolve(id === requestId ? approval(id, reads >= 3 ? [voteId] : []) : null);
    });
    const response = await fetch(`${url}/v1/events/approvals`);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const stream = new EventReader(response.body!.getReader());
    await waitFor(() => stream.events.some((e) => e.event === "ready"), "the ready event");

    await transport.publish(
      createEvent({
        type: "airlock.vote.cast",
        source: "reviewer/alice@corp.example",
        data: {
          vote_id: voteId,
          request_id: requestId,
          action_digest: DIGEST,
          reviewer: "alice@corp.example",
          verdict: "approve",
          signature: "c2lnbmF0dXJl",
        },
      }),
    );
    await waitFor(() => stream.events.some((e) => e.event === "approval"), "the change");
    const change = stream.events.find((e) => e.event === "approval")!.data as ApprovalChange;
    expect(change).toMatchObject({ type: "airlock.vote.cast", request_id: requestId, call_id: `call-${requestId}` });
    expect(change.approval?.votes.map((vote) => vote.vote_id)).toEqual([voteId]);
    expect(reads).toBe(3);

    // Closing the server ends the stream rather than waiting on it.
    await server!.close();
    server = undefined;
  });
  it("bounds the event streams one address may hold open, with a JSON error past the bound", async () => {
    const url = await start(() => Promise.resolve(null));
    const streams: Array<{ reader: ReadableStreamDefaultReader<Uint8Array>; abort: AbortController }> = [];
    for (let i = 0; i < STREAM_LIMITS.perAddress; i++) {
      const abort = new AbortController();
      const response = await fetch(`${url}/v1/events/approvals`, { signal: abort.signal });
      expect(response.status).toBe(200);
      streams.push({ reader: response.body!.getReader(), abort });
    }
    const refused = await fetch(`${url}/v1/events/approvals`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(await refused.json()).toMatchObject({ error: { code: "too_many_streams" } });
    // A stream that closes makes room for another.
    const first = streams.shift()!;
    first.abort.abort();
    await first.reader.cancel().catch(() => undefined);
    await waitFor(async () => {
      const again = await fetch(`${url}/v1/events/approvals`);
      if (again.status === 200) {
        await again.body?.cancel();
        return true;
      }
      await again.body?.cancel();
      return false;
    }, "room for a stream once one closed");
    for (const stream of streams) stream.abort.abort();
  });
});
