import type { AirlockEvent } from "@airlock/shared";

/** Slack caps a section's text at 3,000 characters; arguments are cut well below, with a marker. */
const MAX_ARGS_CHARS = 2_000;
/** Slack caps a header's plain text at 150 characters. */
const MAX_HEADER_CHARS = 150;

/** A Slack Block Kit block (only the shapes this module builds). */
export type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string } }
  | { type: "section"; text?: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] }
  | {
      type: "actions";
      elements: Array<{ type: "button"; text: { type: "plain_text"; text: string }; url: string; style?: "primary" }>;
    };

interface SlackText {
  type: "mrkdwn";
  text: string;
}

/** The generic part of a notification: everything a receiver needs, unformatted. */
export interface ApprovalNotice {
  kind: "approval.opened";
  /** The `approval.opened` event's id: the same on a retry or a redelivery, so receivers can dedupe. */
  event_id: string;
  request_id: string;
  call_id: string;
  agent_id: string;
  tool: string;
  args: Record<string, unknown>;
  action_digest: string;
  requester: string | null;
  rule: string | null;
  reason: string;
  pool: string | null;
  reviewers: string[];
  quorum: number;
  veto: boolean;
  expires_at: string;
  /** Where a reviewer decides: the console, opened on this request. */
  console_url: string;
  /** When this notification was built; covered by the signature, so a receiver can refuse old replays. */
  sent_at: string;
}

/** A webhook body: Slack incoming-webhook compatible (`text` + `blocks`), plus the generic `airlock` object. */
export interface WebhookBody {
  text: string;
  blocks: SlackBlock[];
  airlock: ApprovalNotice;
}

/** The console's link to one request (`AIRLOCK_URL/#/approvals/<id>`). */
export function consoleLink(baseUrl: string, requestId: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/#/approvals/${encodeURIComponent(requestId)}`;
}

// Slack's mrkdwn treats &, < and > as control characters (links, mentions); everything else is literal.
function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The notification of one opened approval, ready to serialise. */
export function approvalNotification(
  event: AirlockEvent<"airlock.approval.opened">,
  options: { consoleBaseUrl: string; sentAt: Date },
): WebhookBody {
  const data = event.data;
  const { requirement } = data;
  const url = consoleLink(options.consoleBaseUrl, data.request_id);
  const notice: ApprovalNotice = {
    kind: "approval.opened",
    event_id: event.id,
    request_id: data.request_id,
    call_id: data.call_id,
    agent_id: data.agent_id,
    tool: data.tool,
    args: data.args,
    action_digest: data.action_digest,
    requester: data.requester,
    rule: data.rule,
    reason: data.reason,
    pool: requirement.pool,
    reviewers: requirement.reviewers,
    quorum: requirement.quorum,
    veto: requirement.veto,
    expires_at: data.expires_at,
    console_url: url,
    sent_at: options.sentAt.toISOString(),
  };
  const who = requirement.pool ?? requirement.reviewers.join(", ");
  const args = clip(JSON.stringify(data.args, null, 2), MAX_ARGS_CHARS);
  const text = `Approval needed: ${data.agent_id} wants to call ${data.tool} (${data.reason}). Review: ${url}`;
  return {
    text: escape(text),
    blocks: [
      { type: "header", text: { type: "plain_text", text: clip(`Approval needed: ${data.tool}`, MAX_HEADER_CHARS) } },
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `*${escape(data.agent_id)}* wants to call \`${escape(data.tool)}\`\n>${escape(data.reason)}`,
        },
        fields: [
          { type: "mrkdwn", text: `*Requester*\n${escape(data.requester ?? "—")}` },
          { type: "mrkdwn", text: `*Rule*\n${escape(data.rule ?? "—")}` },
          { type: "mrkdwn", text: `*Quorum*\n${requirement.quorum} of ${escape(who)}` },
          { type: "mrkdwn", text: `*Expires*\n${data.expires_at}` },
        ],
      },
      { type: "section", text: { type: "mrkdwn", text: "```" + escape(args) + "```" } },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "Review in Airlock" }, url, style: "primary" }],
      },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `request ${escape(data.request_id)} · call ${escape(data.call_id)}` }],
      },
    ],
    airlock: notice,
  };
}
