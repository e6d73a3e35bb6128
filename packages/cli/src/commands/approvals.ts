import { parseArgs, type ParseArgsConfig } from "node:util";
import { AirlockApiError, approvalsApi, type ApprovalDetail, type ApprovalSummary } from "@airlock/client";
import { canonicalize, loadConfig } from "@airlock/shared";
import type { Command } from "./index.js";

const USAGE =
  "usage: airlock approvals list [--state pending] [--limit N] [--json] | airlock approvals show ID [--json]\n";
const STATES = ["pending", "approved", "rejected", "expired", "cancelled"];

/** `airlock approvals list [--state pending] [--json]` and `airlock approvals show ID [--json]`. */
export const approvals: Command = {
  summary: "list approval requests (--state pending) or show one, with what a reviewer needs to decide",
  async run(args) {
    const [sub, ...rest] = args;
    const parsed = parseOrUsage(rest, {
      state: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    });
    if (!parsed || (sub !== "list" && sub !== "show")) {
      process.stderr.write(USAGE);
      return 2;
    }
    const { values, positionals } = parsed;
    const api = approvalsApi({ url: loadConfig(process.env).AIRLOCK_URL });
    try {
      if (sub === "list") {
        if (positionals.length > 0 || (values.state !== undefined && !STATES.includes(String(values.state)))) {
          process.stderr.write(`airlock approvals list: --state is one of ${STATES.join(", ")}\n`);
          return 2;
        }
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) {
          process.stderr.write("airlock approvals list: --limit is a whole number from 1 to 500\n");
          return 2;
        }
        const listed = await api.list({
          ...(values.state ? { state: String(values.state) } : {}),
          ...(limit ? { limit } : {}),
        });
        process.stdout.write(values.json ? `${JSON.stringify(listed, null, 2)}\n` : formatList(listed));
        return 0;
      }
      const [id] = positionals;
      if (id === undefined || positionals.length > 1) {
        process.stderr.write(USAGE);
        return 2;
      }
      const detail = await api.get(id);
      process.stdout.write(values.json ? `${JSON.stringify(detail, null, 2)}\n` : formatDetail(detail));
      return 0;
    } catch (error) {
      return reportApiError(`airlock approvals ${sub}`, error);
    }
  },
};

/** parseArgs, or undefined when the arguments don't parse (the caller prints its usage). */
export function parseOrUsage<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> | undefined {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
}

/** Print an API or connection error on stderr; the exit code is 1. */
export function reportApiError(command: string, error: unknown): number {
  if (error instanceof AirlockApiError)
    process.stderr.write(`${command}: ${error.message} (${error.status} ${error.code})\n`);
  else if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    process.stderr.write(
      `${command}: cannot reach Airlock at ${loadConfig(process.env).AIRLOCK_URL} (is it running? set AIRLOCK_URL)\n`,
    );
  } else throw error;
  return 1;
}

/** `14m05s`, `2h03m`, `45s`: time left at a glance. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`;
}

function standing(approval: ApprovalSummary): string {
  if (approval.resolution) return `${approval.state}: ${approval.resolution.reason}`;
  const left = approval.time_left_ms === null ? "" : `, ${formatDuration(approval.time_left_ms)} left`;
  return `pending: ${approval.tally.approvals}/${approval.tally.quorum} approvals, ${approval.tally.rejections} rejections${left}`;
}

function formatList(listed: readonly ApprovalSummary[]): string {
  if (listed.length === 0) return "no approval requests\n";
  return listed
    .map((approval) =>
      [
        `${approval.id}  ${approval.agent} → ${approval.tool}  (${standing(approval)})`,
        `  args:      ${canonicalize(approval.args)}`,
        `  requester: ${approval.requester ?? "(none)"}   rule: ${approval.rule ?? "(defaults)"}   reason: ${approval.reason}`,
        `  votes:     ${approval.votes.length === 0 ? "none yet" : approval.votes.map((v) => `${v.reviewer} ${v.verdict}`).join(", ")}`,
      ].join("\n"),
    )
    .join("\n\n")
    .concat("\n");
}

function formatDetail(approval: ApprovalDetail): string {
  const requirement = approval.requirement as ApprovalDetail["requirement"] & {
    veto?: boolean;
    confirm_by_requester?: boolean;
  };
  const lines = [
    `approval ${approval.id}  (call ${approval.call_id})`,
    `  state:       ${standing(approval)}`,
    `  agent:       ${approval.agent}`,
    `  tool:        ${approval.tool}`,
    `  args:        ${JSON.stringify(JSON.parse(canonicalize(approval.args)), null, 2)
      .split("\n")
      .join("\n               ")}`,
    `  digest:      ${approval.action_digest}`,
    `  requester:   ${approval.requester ?? "(none)"}`,
    `  rule:        ${approval.rule ?? "(defaults)"} — ${approval.reason}`,
    `  needs:       ${requirement.quorum} of ${requirement.reviewers.join(", ")}` +
      `${requirement.veto ? " (veto)" : ""}${requirement.confirm_by_requester ? " (requester confirms first)" : ""}`,
    `  expires:     ${approval.expires_at}`,
    `  votes:`,
    ...(approval.votes.length === 0
      ? ["    none yet"]
      : approval.votes.map(
          (v) =>
            `    ${v.reviewer}: ${v.verdict}${v.role === "confirm" ? " (confirmation)" : ""}${v.comment ? ` — ${v.comment}` : ""}`,
        )),
  ];
  if (approval.refusals.length > 0) {
    lines.push("  refused votes:", ...approval.refusals.map((r) => `    ${r.reviewer}: ${r.reason} — ${r.detail}`));
  }
  return `${lines.join("\n")}\n`;
}
