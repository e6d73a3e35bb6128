import {
  approvalsApi,
  digestMatches,
  loadReviewer,
  type ApprovalsApi,
  type BallotVerdict,
  type Reviewer,
} from "@airlock/client";
import { loadConfig, parseDuration, reviewerKeysDir } from "@airlock/shared";
import { parseOrUsage, reportApiError } from "./approvals.js";
import type { Command } from "./index.js";

/** What happened to one vote. */
type VoteResult =
  | { id: string; status: "counted"; detail: string }
  | { id: string; status: "refused"; reason: string; detail: string }
  | { id: string; status: "submitted"; detail: string }
  | { id: string; status: "not_sent"; detail: string };

/** `airlock approve ID... --as REVIEWER [--comment T] [--wait 10s] [--json]`. */
export const approve: Command = voteCommand("approve");

/** `airlock reject ID... --as REVIEWER [--comment T] [--wait 10s] [--json]`. */
export const reject: Command = voteCommand("reject");

function voteCommand(verdict: BallotVerdict): Command {
  const name = verdict === "approve" ? "approve" : "reject";
  const usage = `usage: airlock ${name} ID... --as REVIEWER [--comment TEXT] [--wait 10s] [--json]\n`;
  return {
    summary: `${name} approval requests as a reviewer (signed with the key under AIRLOCK_KEYS); exit 0 when every vote counted`,
    async run(args) {
      const parsed = parseOrUsage(args, {
        as: { type: "string" },
        comment: { type: "string" },
        wait: { type: "string", default: "10s" },
        json: { type: "boolean" },
      });
      const wait = parsed && parseDuration(String(parsed.values.wait));
      if (!parsed || parsed.positionals.length === 0 || typeof parsed.values.as !== "string" || wait === undefined) {
        process.stderr.write(usage);
        return 2;
      }
      const config = loadConfig(process.env);
      const reviewer = await loadReviewer({
        reviewer: parsed.values.as,
        keysDir: reviewerKeysDir(config),
      });
      const api = approvalsApi({ url: config.AIRLOCK_URL });
      const comment = typeof parsed.values.comment === "string" ? parsed.values.comment : undefined;
      const results: VoteResult[] = [];
      try {
        for (const id of parsed.positionals) results.push(await cast(api, reviewer, id, verdict, comment, wait));
      } catch (error) {
        return reportApiError(`airlock ${name}`, error);
      }
      if (parsed.values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else for (const result of results) process.stdout.write(`${result.id}: ${result.status} — ${result.detail}\n`);
      return results.every((result) => result.status === "counted" || result.status === "submitted") ? 0 : 1;
    },
  };
}

/**
 * One vote: read the request, check that its digest is the digest of the action it shows (so the
 * reviewer signs exactly what they see), sign, POST, then watch the request until the vote is counted
 * or refused, for at most `waitMs`.
 */
async function cast(
  api: ApprovalsApi,
  reviewer: Reviewer,
  id: string,
  verdict: BallotVerdict,
  comment: string | undefined,
  waitMs: number,
): Promise<VoteResult> {
  const approval = await api.get(id);
  if (approval.state !== "pending")
    return { id, status: "not_sent", detail: `the request is already ${approval.state}` };
  if (!digestMatches(approval)) {
    return {
      id,
      status: "not_sent",
      detail: "the request's action_digest does not match the action it shows; refusing to sign",
    };
  }
  const vote = reviewer.sign({
    request_id: id,
    action_digest: approval.action_digest,
    verdict,
    ...(comment ? { comment } : {}),
  });
  await api.postVote(vote);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = await api.get(id);
    if (now.votes.some((v) => v.vote_id === vote.vote_id)) {
      const outcome = now.resolution
        ? `; the request is ${now.state}`
        : `; ${now.tally.approvals}/${now.tally.quorum} approvals so far`;
      return { id, status: "counted", detail: `${verdict} counted${outcome}` };
    }
    const refusal = now.refusals.find((r) => r.vote_id === vote.vote_id);
    if (refusal)
      return { id, status: "refused", reason: refusal.reason, detail: `${refusal.reason}: ${refusal.detail}` };
    if (Date.now() >= deadline)
      return { id, status: "submitted", detail: "submitted; not counted yet (see `airlock approvals show`)" };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
