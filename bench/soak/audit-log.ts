import type { Queryable } from "@airlock/shared";

/** One audit log entry as GET /v1/audit/events lists it. */
export interface LoggedEvent {
  seq: number;
  event_id: string;
  type: string;
  subject: string | null;
  /** The chain hash at this entry, hex. */
  hash: string;
  event: { id: string; type: string; source: string; subject?: string; data: Record<string, unknown> };
}

/** The whole audit log (main chain), every page, in seq order. */
export async function readAuditLog(url: string, query = ""): Promise<LoggedEvent[]> {
  const entries: LoggedEvent[] = [];
  let after: number | null = -1;
  while (after !== null) {
    const response = await fetch(`${url}/v1/audit/events?limit=1000&after_seq=${after}${query}`);
    if (!response.ok) throw new Error(`GET /v1/audit/events answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { events: LoggedEvent[]; next_after_seq: number | null };
    entries.push(...page.events);
    after = page.next_after_seq;
  }
  return entries;
}

/** What GET /v1/audit/verify says, and its status. */
export async function verifyAuditLog(url: string): Promise<{ status: number; ok: boolean; report: unknown }> {
  const response = await fetch(`${url}/v1/audit/verify`);
  const report = (await response.json()) as { ok?: unknown };
  return { status: response.status, ok: response.status === 200 && report.ok === true, report };
}

/** Rows waiting in each service's outbox: all zero once everything a service committed has been published. */
export async function outboxRows(sql: Queryable): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const schema of ["policy", "approvals", "audit"]) {
    const { rows } = await sql.query<{ n: number }>(`select count(*)::int as n from ${schema}.outbox`);
    counts[schema] = rows[0]?.n ?? 0;
  }
  return counts;
}

/** An approval request as GET /v1/approvals/:id shows it (the parts the checks read). */
export interface ApprovalState {
  id: string;
  call_id: string;
  state: string;
  requester: string | null;
  requirement: { quorum: number; reviewers: string[] };
  votes: Array<{ reviewer: string; verdict: string; role: string }>;
  refusals: Array<{ reviewer: string; reason: string }>;
  resolution: { outcome: string; allowed: boolean; decided_by: string } | null;
}

/** GET /v1/approvals/:id for each id, a few at a time. */
export async function readApprovals(url: string, ids: readonly string[]): Promise<Map<string, ApprovalState>> {
  const found = new Map<string, ApprovalState>();
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const response = await fetch(`${url}/v1/approvals/${encodeURIComponent(id)}`);
        if (!response.ok) throw new Error(`GET /v1/approvals/${id} answered ${response.status}`);
        found.set(id, (await response.json()) as ApprovalState);
      }
    }),
  );
  return found;
}

/** Group entries by a key; entries without one are left out. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string | null | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null || k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
