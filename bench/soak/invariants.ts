import type { Queryable } from "@airlock/shared";
import {
  groupBy,
  outboxRows,
  readApprovals,
  readAuditLog,
  verifyAuditLog,
  type ApprovalState,
  type LoggedEvent,
} from "./audit-log.js";
import { ALLOWED_BY_POLICY, callSpec } from "./policy.js";
import type { CallRecord, Workload } from "./workload.js";

/** What a run came to, counted from the audit log, the approvals API and what the agents got. */
export interface RunFigures {
  calls: number;
  probes: number;
  /** Calls the SDK could not submit (the publish was not confirmed): they may or may not have a verdict. */
  failed_submits: number;
  /** Verdicts that came from Airlock. */
  answered_by_airlock: number;
  /** Agents that stopped waiting and denied on their own (`decided_by: "client"`): fail closed. */
  client_timeouts: number;
  allowed: number;
  denied: number;
  escalations: number;
  votes_delivered: number;
  votes_refused: number;
  audit_entries: number;
  audit_by_type: Record<string, number>;
  dead_letters: number;
  /** Events that should be in the audit log and are not: confirmed calls without a verdict, votes the API took. */
  events_lost: number;
  /** Calls for which the verdicts topic carried more than one distinct verdict event. */
  duplicate_verdicts_seen_by_agents: number;
  /** Calls allowed that neither the policy nor a quorum of reviewers allowed. */
  allowed_by_accident: number;
  outbox_rows_left: number;
  verify_ok: boolean;
}

/** The figures and every broken promise found, each described. */
export interface RunReport {
  figures: RunFigures;
  violations: string[];
}

/** Options of {@link settleAndCheck}. */
export interface CheckOptions {
  /** The HTTP API (the gateway). */
  url: string;
  /** The stack's database (for the outboxes). */
  sql: Queryable;
  workload: Workload;
  /** How long to wait for the log to catch up with everything. Default 90 s. */
  settleMs?: number;
  /** Whether dead letters break a promise (they do in fault runs: a valid event must never be refused). */
  deadLettersAreViolations?: boolean;
}

const VERDICT = "airlock.verdict.final";

function confirmed(call: CallRecord): boolean {
  return call.state === "answered";
}

/**
 * Wait until the audit log holds a verdict for every call the agents submitted and every vote the API
 * took, and the outboxes are empty; then check every promise of a run: one verdict per call (in the log
 * and as the agents saw it), no verdict contradicting its approval, one resolution per approval, every
 * event once, nothing allowed by accident, an intact log.
 */
export async function settleAndCheck(options: CheckOptions): Promise<RunReport> {
  const { url, sql, workload } = options;
  const calls = [...workload.calls.values()];
  const deadline = Date.now() + (options.settleMs ?? 90_000);
  let log: LoggedEvent[] = [];
  for (;;) {
    log = await readAuditLog(url);
    const ids = new Set(log.map((entry) => entry.event_id));
    const verdicts = new Set(log.filter((e) => e.type === VERDICT).map((e) => e.subject));
    const outboxes = Object.values(await outboxRows(sql)).reduce((a, b) => a + b, 0);
    const settled =
      calls.every((call) => !confirmed(call) || verdicts.has(call.call_id)) &&
      workload.votes.every((vote) => vote.event_id === undefined || ids.has(vote.event_id)) &&
      outboxes === 0;
    if (settled || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return check(options, calls, log);
}

async function check(options: CheckOptions, calls: CallRecord[], log: LoggedEvent[]): Promise<RunReport> {
  const { url, sql, workload } = options;
  const violations: string[] = [];
  const violate = (message: string): void => {
    // A broken run may break one promise thousands of times: the first 50 say enough.
    if (violations.length < 50) violations.push(message);
  };
  const ids = new Set(log.map((entry) => entry.event_id));
  if (ids.size !== log.length) violate(`the audit log holds ${log.length - ids.size} event(s) more than once`);
  const bySubject = groupBy(log, (entry) => entry.subject);
  const ofType = (callId: string, type: string): LoggedEvent[] =>
    (bySubject.get(callId) ?? []).filter((entry) => entry.type === type);

  const opened = log.filter((e) => e.type === "airlock.approval.opened");
  const resolvedByRequest = groupBy(
    log.filter((e) => e.type === "airlock.approval.resolved"),
    (e) => e.event.data["request_id"] as string,
  );
  const approvals = await readApprovals(
    url,
    opened.map((e) => e.event.data["request_id"] as string),
  );
  const approvalOfCall = new Map<string, ApprovalState>([...approvals.values()].map((a) => [a.call_id, a]));

  let allowed = 0;
  let allowedByAccident = 0;
  let lost = 0;
  for (const call of calls) {
    const verdicts = ofType(call.call_id, VERDICT);
    const requested = ofType(call.call_id, "airlock.tool_call.requested");
    const decided = ofType(call.call_id, "airlock.policy.decided");
    if (verdicts.length > 1) violate(`call ${call.call_id} (${call.kind}) has ${verdicts.length} verdicts in the log`);
    if (confirmed(call)) {
      if (verdicts.length === 0) {
        lost++;
        violate(`call ${call.call_id} (${call.kind}) was submitted but has no verdict in the log`);
      }
      if (requested.length !== 1) violate(`call ${call.call_id} has ${requested.length} tool_call.requested entries`);
      if (decided.length !== 1) violate(`call ${call.call_id} has ${decided.length} policy.decided entries`);
    }
    const verdict = verdicts[0]?.event.data as
      { allowed: boolean; outcome: string; decided_by: string; action_digest: string } | undefined;
    if (verdict?.allowed) {
      allowed++;
      const action = decided[0]?.event.data["action"];
      const approval = approvalOfCall.get(call.call_id);
      const byPolicy =
        (action === "allow" || action === "audit") && ALLOWED_BY_POLICY.has(callSpec(call.kind, call.n).tool);
      const byQuorum = action === "escalate" && approval !== undefined && quorumApproved(approval);
      if (!byPolicy && !byQuorum) {
        allowedByAccident++;
        violate(`call ${call.call_id} (${call.kind}) was allowed by neither the policy nor a quorum`);
      }
    }
    // What the agent acted on: Airlock's verdict, or its own deny.
    const got = call.verdict;
    if (got && got.decided_by === "client" && got.allowed) violate(`call ${call.call_id}: a client verdict allowed`);
    if (got && got.decided_by !== "client") {
      if (!verdict) violate(`call ${call.call_id}: the agent got a verdict the log does not hold`);
      else if (got.allowed !== verdict.allowed || got.outcome !== verdict.outcome) {
        violate(`call ${call.call_id}: the agent got ${got.outcome}, the log says ${verdict.outcome}`);
      }
    }
    const seen = workload.verdictsSeen.get(call.call_id);
    if (seen && verdicts[0] && !seen.has(verdicts[0].event_id)) {
      violate(`call ${call.call_id}: the verdict agents saw is not the one in the log`);
    }
  }

  // Approvals: one resolution each, and the verdict agrees with it.
  for (const entry of opened) {
    const requestId = entry.event.data["request_id"] as string;
    const callId = entry.event.data["call_id"] as string;
    const approval = approvals.get(requestId);
    const resolved = resolvedByRequest.get(requestId) ?? [];
    if (resolved.length !== 1) violate(`approval ${requestId} has ${resolved.length} approval.resolved entries`);
    if (!approval) continue;
    if (approval.state === "pending") violate(`approval ${requestId} is still pending`);
    const outcome = resolved[0]?.event.data["outcome"] as string | undefined;
    if (outcome !== undefined && outcome !== approval.state) {
      violate(`approval ${requestId} is ${approval.state} but approval.resolved says ${outcome}`);
    }
    const verdict = ofType(callId, VERDICT)[0]?.event.data as { allowed: boolean; outcome: string } | undefined;
    if (verdict && (verdict.outcome !== approval.state || verdict.allowed !== (approval.state === "approved"))) {
      violate(`call ${callId}: verdict ${verdict.outcome}/${verdict.allowed} contradicts approval ${approval.state}`);
    }
  }
  const openedPerCall = groupBy(opened, (e) => e.subject);
  for (const [callId, entries] of openedPerCall) {
    if (entries.length > 1) violate(`call ${callId} opened ${entries.length} approval requests`);
  }

  // Every vote the API took is in the log once.
  for (const vote of workload.votes) {
    if (vote.event_id !== undefined && !ids.has(vote.event_id)) {
      lost++;
      violate(`vote ${vote.vote_id} (event ${vote.event_id}) was accepted but is not in the log`);
    }
    if (vote.status === "gave_up") violate(`vote ${vote.vote_id} could not be delivered: ${vote.error ?? ""}`);
  }
  let duplicates = 0;
  for (const [callId, seen] of workload.verdictsSeen) {
    if (seen.size > 1) {
      duplicates++;
      violate(`agents saw ${seen.size} different verdicts for call ${callId}`);
    }
    for (const id of seen) {
      if (!ids.has(id)) {
        lost++;
        violate(`verdict event ${id} (call ${callId}) reached the agents but not the log`);
      }
    }
  }

  const deadLetters = log.filter((e) => e.type === "airlock.dead_letter");
  if (options.deadLettersAreViolations !== false) {
    for (const entry of deadLetters.slice(0, 5)) {
      violate(`a valid event was dead-lettered: ${JSON.stringify(entry.event.data["reason"])}`);
    }
  }
  const outboxes = await drainedOutboxes(sql);
  const left = Object.values(outboxes).reduce((a, b) => a + b, 0);
  if (left > 0) violate(`outbox rows left unpublished: ${JSON.stringify(outboxes)}`);
  const verified = await verifyAuditLog(url);
  if (!verified.ok) violate(`the audit log does not verify: ${JSON.stringify(verified.report)}`);

  const byType: Record<string, number> = {};
  for (const entry of log) byType[entry.type] = (byType[entry.type] ?? 0) + 1;
  const answered = calls.filter((c) => c.state === "answered");
  return {
    violations,
    figures: {
      calls: calls.length,
      probes: calls.filter((c) => c.probe).length,
      failed_submits: calls.filter((c) => c.state === "failed").length,
      answered_by_airlock: answered.filter((c) => c.verdict?.decided_by !== "client").length,
      client_timeouts: answered.filter((c) => c.verdict?.decided_by === "client").length,
      allowed,
      denied: log.filter((e) => e.type === VERDICT && e.event.data["allowed"] === false).length,
      escalations: opened.length,
      votes_delivered: workload.votes.filter((v) => v.status === "accepted").length,
      votes_refused: byType["airlock.vote.refused"] ?? 0,
      audit_entries: log.length,
      audit_by_type: byType,
      dead_letters: deadLetters.length,
      events_lost: lost,
      duplicate_verdicts_seen_by_agents: duplicates,
      allowed_by_accident: allowedByAccident,
      outbox_rows_left: left,
      verify_ok: verified.ok,
    },
  };
}

/** Whether the counted votes make a quorum: distinct pool members approving, the requester never among them. */
function quorumApproved(approval: ApprovalState): boolean {
  if (approval.state !== "approved") return false;
  const approvers = new Set(
    approval.votes
      .filter(
        (vote) =>
          vote.verdict === "approve" &&
          vote.role === "pool" &&
          vote.reviewer !== approval.requester &&
          approval.requirement.reviewers.includes(vote.reviewer),
      )
      .map((vote) => vote.reviewer),
  );
  return approvers.size >= approval.requirement.quorum;
}

/**
 * The outbox rows still there once every outbox had OUTBOX_DRAIN_MS to drain. The promise is that every
 * row is published, not that no row exists at one instant: the audit service signs a checkpoint a second
 * after late entries (an approval expiring, a refused vote), and its outbox row lives the few
 * milliseconds until the relay publishes it — one read at a random moment found such a row in a loaded
 * run (seed 225868209), though nothing was stuck. A row still there after the wait is.
 */
async function drainedOutboxes(sql: CheckOptions["sql"]): Promise<Record<string, number>> {
  const deadline = Date.now() + OUTBOX_DRAIN_MS;
  for (;;) {
    const outboxes = await outboxRows(sql);
    const left = Object.values(outboxes).reduce((a, b) => a + b, 0);
    if (left === 0 || Date.now() > deadline) return outboxes;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How long the final check gives the outboxes to drain (a relay's retry after a failure is under 5 s). */
const OUTBOX_DRAIN_MS = 10_000;
