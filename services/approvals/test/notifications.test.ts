import { afterEach, describe, expect, it } from "vitest";
import {
  actionDigest,
  createEvent,
  createMetrics,
  createTransport,
  loadConfig,
  newId,
  silentLogger,
  type AirlockEvent,
  type RunningService,
  type Transport,
} from "@airlock/shared";
import { uniqueNamespace, waitFor } from "@airlock/shared/testing";
import {
  approvalNotification,
  consoleLink,
  deliverWebhook,
  signWebhookBody,
  startNotifier,
  verifyWebhookSignature,
  webhookMetrics,
  type WebhookBody,
} from "../src/notifications/index.js";

// The notifier without a network: fetch is a fake that records each request and answers from a script.

const FAST = { initialMs: 1, maxMs: 4, factor: 2, jitter: 0 };
const SECRET = "a-webhook-secret-of-some-length";

function opened(
  overrides: { expiresInMs?: number; request_id?: string; reason?: string } = {},
): AirlockEvent<"airlock.approval.opened"> {
  const action = { agent_id: "finance-agent", tool: "transfer_funds", args: { amount: 5000, to: "<ACME & co>" } };
  const call_id = newId();
  return createEvent({
    type: "airlock.approval.opened",
    source: "airlock/approvals",
    subject: call_id,
    data: {
      ...action,
      request_id: overrides.request_id ?? newId(),
      call_id,
      action_digest: actionDigest(action),
      requester: "dave@corp.example",
      rule: "transfers-need-two",
      reason: overrides.reason ?? "Transfers over 1000 need two finance admins",
      requirement: {
        pool: "finance-admins",
        reviewers: ["alice@corp.example", "bob@corp.example", "carol@corp.example"],
        quorum: 2,
        veto: false,
        confirm_by_requester: false,
        timeout_ms: 3_600_000,
        on_timeout: "deny",
      },
      expires_at: new Date(Date.now() + (overrides.expiresInMs ?? 3_600_000)).toISOString(),
    },
  });
}

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records requests and answers each URL's n-th request with `script(url, n)`. */
function fakeFetch(script: (url: string, n: number) => number | Error): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input.toString();
    const body = typeof init?.body === "string" ? init.body : "";
    sent.push({ url, headers: init?.headers as Record<string, string>, body });
    const answer = script(url, sent.filter((s) => s.url === url).length);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(new Response("ok", { status: answer }));
  };
  return { fetch, sent };
}

describe("the notification body", () => {
  it("is a Slack incoming-webhook message with the generic airlock object", () => {
    const event = opened();
    const at = new Date("2026-01-02T03:04:05.000Z");
    const body: WebhookBody = approvalNotification(event, { consoleBaseUrl: "https://airlock.example/", sentAt: at });
    const link = `https://airlock.example/#/approvals/${event.data.request_id}`;
    expect(consoleLink("https://airlock.example/", event.data.request_id)).toBe(link);
    expect(body.text).toContain("finance-agent wants to call transfer_funds");
    expect(body.blocks.map((block) => block.type)).toEqual(["header", "section", "section", "actions", "context"]);
    expect(body.blocks[3]).toMatchObject({ elements: [{ type: "button", url: link }] });
    // Slack's control characters are escaped in mrkdwn; the generic object keeps the raw values.
    expect(JSON.stringify(body.blocks)).toContain("&lt;ACME &amp; co&gt;");
    expect(body.airlock).toEqual({
      kind: "approval.opened",
      event_id: event.id,
      request_id: event.data.request_id,
      call_id: event.data.call_id,
      agent_id: "finance-agent",
      tool: "transfer_funds",
      args: { amount: 5000, to: "<ACME & co>" },
      action_digest: event.data.action_digest,
      requester: "dave@corp.example",
      rule: "transfers-need-two",
      reason: "Transfers over 1000 need two finance admins",
      pool: "finance-admins",
      reviewers: ["alice@corp.example", "bob@corp.example", "carol@corp.example"],
      quorum: 2,
      veto: false,
      expires_at: event.data.expires_at,
      console_url: link,
      sent_at: "2026-01-02T03:04:05.000Z",
    });
  });

  it("cuts long arguments to fit Slack's limits", () => {
    const event = opened();
    const big = { ...event, data: { ...event.data, args: { blob: "x".repeat(10_000) } } };
    const body = approvalNotification(big, { consoleBaseUrl: "http://127.0.0.1:7700", sentAt: new Date() });
    const args = body.blocks[2] as { text: { text: string } };
    expect(args.text.text.length).toBeLessThan(3_000);
    expect(body.airlock.args).toEqual({ blob: "x".repeat(10_000) });
  });
});

describe("the webhook signature", () => {
  it("is the hex HMAC-SHA256 of the raw body, checked in constant time", () => {
    const body = JSON.stringify({ hello: "world" });
    const header = signWebhookBody(body, SECRET);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(body, header, SECRET)).toBe(true);
    expect(verifyWebhookSignature(body + " ", header, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, header, "another-secret-entirely")).toBe(false);
    expect(verifyWebhookSignature(body, undefined, SECRET)).toBe(false);
    expect(verifyWebhookSignature(body, "sha256=00", SECRET)).toBe(false);
  });
});

describe("delivering to one webhook", () => {
  const options = { attempts: 4, backoff: FAST, timeoutMs: 1_000 };

  it("retries what may pass (5xx, 429, network errors) and stops at the first success", async () => {
    const { fetch, sent } = fakeFetch((_url, n) =>
      n === 1 ? 503 : n === 2 ? new TypeError("fetch failed") : n === 3 ? 429 : 200,
    );
    const retries: number[] = [];
    const result = await deliverWebhook(
      "http://hook.test/a",
      "{}",
      {},
      { ...options, fetch, onRetry: (_e, a) => retries.push(a) },
    );
    expect(result).toEqual({ ok: true, attempts: 4, status: 200 });
    expect(sent).toHaveLength(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it("gives up after the last attempt, and at once on an answer that will not change", async () => {
    const failing = fakeFetch(() => 500);
    expect(await deliverWebhook("http://hook.test/a", "{}", {}, { ...options, fetch: failing.fetch })).toMatchObject({
      ok: false,
      attempts: 4,
    });
    expect(failing.sent).toHaveLength(4);
    for (const status of [404, 410, 301]) {
      const gone = fakeFetch(() => status);
      expect(await deliverWebhook("http://hook.test/a", "{}", {}, { ...options, fetch: gone.fetch })).toMatchObject({
        ok: false,
        attempts: 1,
      });
    }
  });
});

describe("the notifier", () => {
  let transport: Transport | undefined;
  let notifier: RunningService | undefined;
  afterEach(async () => {
    await notifier?.stop();
    await transport?.close();
  });

  async function start(script: (url: string, n: number) => number | Error, webhooks: string[], secret?: string) {
    const metrics = createMetrics();
    transport = await createTransport(`memory://${uniqueNamespace("notify")}`, { logger: silentLogger() });
    await transport.start();
    const fake = fakeFetch(script);
    notifier = await startNotifier({
      config: loadConfig({ AIRLOCK_URL: "https://airlock.example" }),
      transport,
      logger: silentLogger(),
      metrics,
      webhooks,
      ...(secret === undefined ? {} : { secret }),
      fetch: fake.fetch,
      attempts: 3,
      backoff: FAST,
    });
    const counters = webhookMetrics(metrics.registry);
    const count = async (name: "deliveries" | "failures" | "retries", webhook: string) =>
      (await counters[name].get()).values.find((v) => v.labels.webhook === webhook)?.value ?? 0;
    return { sent: fake.sent, transport, count };
  }

  it("posts each opened approval to every webhook, signed; a failing one is retried, then counted", async () => {
    const good = "http://hooks.test/good/T0KEN";
    const bad = "http://broken.test/hook";
    const { sent, transport, count } = await start((url) => (url === bad ? 500 : 200), [good, bad], SECRET);
    const event = opened();
    await transport.publish(event);
    await waitFor(
      async () => (await count("failures", "broken.test#2")) === 1,
      "the failing webhook to be given up on",
    );

    const toGood = sent.filter((s) => s.url === good);
    expect(toGood).toHaveLength(1);
    expect(sent.filter((s) => s.url === bad)).toHaveLength(3);
    expect(await count("deliveries", "hooks.test#1")).toBe(1);
    expect(await count("retries", "broken.test#2")).toBe(2);
    const [request] = toGood;
    expect(verifyWebhookSignature(request!.body, request!.headers["x-airlock-signature"], SECRET)).toBe(true);
    const body = JSON.parse(request!.body) as WebhookBody;
    expect(body.airlock).toMatchObject({ request_id: event.data.request_id, event_id: event.id });
    expect(request!.headers["x-airlock-timestamp"]).toBe(String(Math.floor(Date.parse(body.airlock.sent_at) / 1000)));
    expect(request!.headers["x-airlock-delivery"]).toBe(event.id);
    expect(body.airlock.console_url).toBe(`https://airlock.example/#/approvals/${event.data.request_id}`);
  });

  it("does not ping anyone about a request that has already expired, nor about other events", async () => {
    const hook = "http://hooks.test/a";
    const { sent, transport, count } = await start(() => 200, [hook]);
    const request_id = newId();
    // One key, so handled in this order: when the second is delivered, the first was seen and skipped.
    await transport.publish(opened({ request_id, expiresInMs: -1_000, reason: "stale" }));
    await transport.publish(opened({ request_id, reason: "fresh" }));
    await waitFor(async () => (await count("deliveries", "hooks.test#1")) === 1, "the fresh notification");
    expect(sent.map((s) => (JSON.parse(s.body) as WebhookBody).airlock.reason)).toEqual(["fresh"]);
    expect(sent[0]!.headers["x-airlock-signature"]).toBeUndefined();
  });

  it("stops at once, even with a delivery waiting on a webhook that does not answer", async () => {
    const hook = "http://hooks.test/slow";
    let started = false;
    const metrics = createMetrics();
    transport = await createTransport(`memory://${uniqueNamespace("notify")}`, { logger: silentLogger() });
    await transport.start();
    const hanging = ((_url: string, init?: RequestInit) => {
      started = true;
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
      );
    }) as typeof fetch;
    notifier = await startNotifier({
      config: loadConfig({}),
      transport,
      logger: silentLogger(),
      metrics,
      webhooks: [hook],
      fetch: hanging,
      timeoutMs: 60_000,
    });
    await transport.publish(opened());
    await waitFor(() => started, "the delivery to start");
    await notifier.stop();
    // Cut short by the shutdown: neither a delivery nor a failure.
    const counters = webhookMetrics(metrics.registry);
    expect((await counters.failures.get()).values).toEqual([]);
    expect((await counters.deliveries.get()).values).toEqual([]);
  });
});
