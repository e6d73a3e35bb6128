import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalsApi, connectHttp } from "@airlock/client";
import { newId } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { SERVICES } from "../../bench/soak/processes.js";
import { startProcessStack, type ProcessStack } from "../../bench/soak/stack.js";
import { PATIENT_POLICY } from "./support/stacks.js";

// Secrets a deployment hands Airlock — the database password, the webhook signing secret, the audit
// signing key — and secrets agents put in tool arguments never appear in any service's logs (at debug
// level, through calls, votes, webhooks, a kill -9 and a restart) nor in /metrics.
describe("secrets in logs", () => {
  const dbPassword = `pg-pass-${newId()}`;
  const webhookSecret = `hook-secret-${newId()}`;
  const argSecret = `sk-live-${newId()}`;
  const hooks: Array<{ signature: string | undefined; body: string }> = [];
  let receiver: Server;
  let stack: ProcessStack;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        hooks.push({ signature: request.headers["x-airlock-signature"] as string | undefined, body });
        response.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const address = receiver.address();
    const port = typeof address === "object" && address ? address.port : 0;
    stack = await startProcessStack({
      broker: process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
      policy: PATIENT_POLICY,
      // The local Postgres trusts loopback, so a password is carried and never checked: exactly what a log must not show.
      databaseUrl: (url) => url.replace("postgres://postgres@", `postgres://postgres:${dbPassword}@`),
      env: {
        LOG_LEVEL: "debug",
        AIRLOCK_WEBHOOKS: `http://127.0.0.1:${port}/hook`,
        AIRLOCK_WEBHOOK_SECRET: webhookSecret,
      },
      keepLines: 1_000_000,
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it("shows none of them, whatever the services did", async () => {
    const agent = await connectHttp({ agent: "secret-agent", url: stack.url });
    const read = await agent.check(
      { tool: "search_documents", args: { api_key: argSecret, password: argSecret } },
      { timeout: "30s" },
    );
    expect(read.allowed).toBe(true);
    // An escalation: a webhook is signed with the secret, and a reviewer's signed vote decides it.
    const pending = agent.check(
      { tool: "transfer_funds", args: { amount: 5000, token: argSecret }, context: { user: "dave@corp.example" } },
      { timeout: "60s" },
    );
    const api = approvalsApi({ url: stack.url });
    let request: Awaited<ReturnType<typeof api.list>>[number] | undefined;
    await waitFor(
      async () => (request = (await api.list()).find((a) => a.tool === "transfer_funds")) !== undefined,
      "the request",
    );
    for (const reviewer of ["alice@corp.example", "bob@corp.example"]) {
      await api.postVote(
        stack.reviewers
          .get(reviewer)!
          .sign({ request_id: request!.id, action_digest: request!.action_digest, verdict: "approve" }),
      );
    }
    expect((await pending).allowed).toBe(true);
    await waitFor(() => hooks.length > 0, "the webhook");
    expect(hooks[0]!.signature, "webhooks are signed").toMatch(/[0-9a-f]{64}/);
    // A crash and a restart log their own lines: connection strings above all.
    await stack.processes.kill("policy", "SIGKILL");
    await stack.processes.start("policy");
    expect(
      (await agent.check({ tool: "search_documents", args: { again: argSecret } }, { timeout: "30s" })).allowed,
    ).toBe(true);

    const auditKey = (await readFile(path.join(stack.dataDir, "audit-key.pem"), "utf8"))
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("-----"))
      .join("");
    const secrets = {
      "database password": dbPassword,
      "webhook secret": webhookSecret,
      "tool argument": argSecret,
      "audit signing key": auditKey,
    };
    const logs = stack.processes.output();
    expect(logs.split("\n").length, "debug logs were written").toBeGreaterThan(50);
    const metrics = (
      await Promise.all(SERVICES.map(async (name) => (await fetch(`${stack.processes.url(name)}/metrics`)).text()))
    ).join("\n");
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length).toBeGreaterThan(10);
      expect(logs.includes(secret), `the ${what} in the logs`).toBe(false);
      expect(metrics.includes(secret), `the ${what} in /metrics`).toBe(false);
    }
  }, 180_000);
});
