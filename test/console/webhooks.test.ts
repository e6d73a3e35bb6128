import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Until services/approvals/src/index.ts re-exports the notifier, it is imported from its folder.
import { startNotifier, verifyWebhookSignature, type WebhookBody } from "@airlock/approvals";
import {
  createHttpServer,
  createMetrics,
  createTransport,
  loadConfig,
  silentLogger,
  type AirlockMetrics,
  type RunningService,
  type Transport,
} from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { Tutorial } from "../e2e/scenario.js";
import { startEmbeddedStack, type Stack } from "../e2e/stack.js";
import { startReceiver, type Receiver } from "./webhook-receiver.js";

const SECRET = "console-test-webhook-secret";

// Webhooks against the running system: an escalation is announced to a working webhook (signed, with a
// console link), a broken one is retried and counted in /metrics, and one that never answers holds up
// nothing but its own delivery: the request is approved and the agent answered meanwhile.
describe("webhook notifications", () => {
  let stack: Stack;
  let transport: Transport;
  let metrics: AirlockMetrics;
  let notifier: RunningService;
  let good: Receiver;
  let broken: Receiver;
  let silent: Receiver;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
    [good, broken, silent] = await Promise.all([startReceiver(200), startReceiver(503), startReceiver("hang")]);
    // The notifier runs beside the stack, on the same in-process broker, as approvals-module would start it.
    transport = await createTransport(stack.broker, { logger: silentLogger() });
    await transport.start();
    metrics = createMetrics();
    notifier = await startNotifier({
      config: loadConfig({ AIRLOCK_URL: stack.url, AIRLOCK_WEBHOOK_SECRET: SECRET }),
      transport,
      logger: silentLogger(),
      metrics,
      webhooks: [good.url, broken.url, silent.url],
      attempts: 3,
      backoff: { initialMs: 10, maxMs: 40, factor: 2, jitter: 0 },
      timeoutMs: 60_000,
    });
  }, 120_000);

  afterAll(async () => {
    silent?.release();
    await notifier?.stop();
    await transport?.close();
    await Promise.all([good?.close(), broken?.close(), silent?.close()]);
    await stack?.stop();
  });

  async function metricsText(): Promise<string> {
    const server = await createHttpServer({ logger: silentLogger(), metrics });
    try {
      return (await server.inject({ method: "GET", url: "/metrics" })).body;
    } finally {
      await server.close();
    }
  }

  it("notifies, retries and counts a failure, and never blocks the approval", async () => {
    const tutorial = new Tutorial(stack);
    const transfer = await tutorial.call(
      "finance-agent",
      "transfer_funds",
      { amount: 7500, to: "ACME" },
      "dave@corp.example",
    );
    const request = await tutorial.requestFor(transfer.callId);

    await waitFor(() => good.received.length === 1, "the notification");
    const [notification] = good.received;
    const signature = notification!.headers["x-airlock-signature"];
    expect(typeof signature === "string" && verifyWebhookSignature(notification!.body, signature, SECRET)).toBe(true);
    expect(notification!.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(notification!.body) as WebhookBody;
    expect(body.text).toContain("finance-agent wants to call transfer_funds");
    expect(body.blocks.length).toBeGreaterThan(0);
    expect(body.airlock).toMatchObject({
      request_id: request.id,
      call_id: transfer.callId,
      agent_id: "finance-agent",
      tool: "transfer_funds",
      args: { amount: 7500, to: "ACME" },
      requester: "dave@corp.example",
      rule: "transfers-need-two",
      reason: "Transfers over 1000 need two finance admins",
      quorum: 2,
      expires_at: request.expires_at,
      console_url: `${stack.url}/#/approvals/${request.id}`,
    });

    // The broken webhook: three attempts, then one failure in /metrics. The silent one still holds its request.
    await waitFor(() => broken.received.length === 3, "three attempts at the broken webhook");
    await waitFor(() => silent.held() === 1, "the silent webhook to hold its request");
    const brokenName = `${new URL(broken.url).host}#2`;
    await waitFor(
      async () => (await metricsText()).includes(`airlock_webhook_failures_total{webhook="${brokenName}"} 1`),
      "the failure in /metrics",
    );
    const text = await metricsText();
    expect(text).toContain(`airlock_webhook_deliveries_total{webhook="${new URL(good.url).host}#1"} 1`);
    expect(text).toContain(`airlock_webhook_retries_total{webhook="${brokenName}"} 2`);
    expect(text).not.toContain("s3cr3t-token");

    // Meanwhile the approval goes on: two votes, and the agent has its verdict while a delivery still hangs.
    await tutorial.vote("alice@corp.example", request, "approve");
    await waitFor(async () => (await tutorial.api.get(request.id)).votes.length === 1, "alice's vote to count");
    await tutorial.vote("bob@corp.example", request, "approve");
    expect(await transfer.verdict).toMatchObject({ allowed: true, outcome: "approved" });
    expect(silent.held()).toBe(1);

    silent.release();
    await waitFor(
      async () =>
        (await metricsText()).includes(`airlock_webhook_deliveries_total{webhook="${new URL(silent.url).host}#3"} 1`),
      "the held delivery to complete",
    );
    expect(good.received).toHaveLength(1);
  });
});
