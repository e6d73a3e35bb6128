import { expect } from "vitest";
import { approvalsApi, connectHttp, type AgentClient, type ApprovalSummary, type Verdict } from "@airlock/client";
import { newId } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import type { Stack } from "./stack.js";

interface AuditEntry {
  seq: number;
  event_id: string;
  type: string;
  subject: string | null;
}

/** Every audit entry, all pages. */
export async function auditEntries(url: string, query = ""): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let after: number | null = -1;
  while (after !== null) {
    const response = await fetch(`${url}/v1/audit/events?limit=500&after_seq=${after}${query}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { events: AuditEntry[]; next_after_seq: number | null };
    entries.push(...page.events);
    after = page.next_after_seq;
  }
  return entries;
}

/** The tutorial's cast and the calls they make, against one running stack. */
export class Tutorial {
  readonly api;
  readonly callIds: string[] = [];
  #agents = new Map<string, AgentClient>();

  constructor(readonly stack: Stack) {
    this.api = approvalsApi({ url: stack.url });
  }

  async agent(id: string): Promise<AgentClient> {
    let client = this.#agents.get(id);
    if (!client) {
      client = await connectHttp({ agent: id, url: this.stack.url });
      this.#agents.set(id, client);
    }
    return client;
  }

  /** Submit a call and return its id and the pending verdict. */
  async call(
    agent: string,
    tool: string,
    args: Record<string, unknown>,
    user?: string,
    timeout = "60s",
  ): Promise<{ callId: string; verdict: Promise<Verdict> }> {
    const callId = newId();
    this.callIds.push(callId);
    const client = await this.agent(agent);
    const verdict = client.check({ call_id: callId, tool, args, context: user ? { user } : {} }, { timeout });
    return { callId, verdict };
  }

  /** The approval request opened for a call, once it is there. */
  async requestFor(callId: string): Promise<ApprovalSummary> {
    let found: ApprovalSummary | undefined;
    await waitFor(
      async () => {
        found = (await this.api.list({ limit: 500 })).find((approval) => approval.call_id === callId);
        return found !== undefined;
      },
      `an approval request for call ${callId}`,
      30_000,
    );
    return found!;
  }

  /** Cast a signed vote over the HTTP API. */
  async vote(
    reviewer: string,
    request: Pick<ApprovalSummary, "id" | "action_digest">,
    verdict: "approve" | "reject",
  ): Promise<void> {
    const signer = this.stack.reviewers.get(reviewer);
    if (!signer) throw new Error(`no key for ${reviewer}`);
    await this.api.postVote(signer.sign({ request_id: request.id, action_digest: request.action_digest, verdict }));
  }

  /** Wait until the audit log holds exactly one verdict for each call made, and return the log. */
  async settledLog(): Promise<AuditEntry[]> {
    let entries: AuditEntry[] = [];
    await waitFor(
      async () => {
        entries = await auditEntries(this.stack.url);
        const verdicts = new Set(entries.filter((e) => e.type === "airlock.verdict.final").map((e) => e.subject));
        return this.callIds.every((id) => verdicts.has(id));
      },
      "a verdict in the audit log for every call",
      30_000,
    );
    return entries;
  }
}
