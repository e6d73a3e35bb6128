// The policy and the calls of the soak and fault workloads: every path a call can take — allowed and
// denied by the policy, approved and rejected by reviewers (M-of-N and veto), refused votes (the requester
// approving their own call, a vote for another digest) and an approval nobody answers.

/** The workload's policy (YAML). Escalations time out after minutes, except `page_oncall`'s, which expires. */
export const WORKLOAD_POLICY = `# The soak and fault suites' policy (bench/soak/policy.ts).
version: 1
name: workload
defaults:
  action: deny
  approval: { pool: finance-admins, quorum: 1, timeout: 2m, on_timeout: deny }
pools:
  finance-admins: [alice@corp.example, bob@corp.example, carol@corp.example]
  comms: [carol@corp.example, olivia@corp.example]
rules:
  - name: read-only
    priority: 10
    when: { tool: search_documents }
    action: allow
    reason: Searching documents is read-only
  - name: block-delete-database
    priority: 100
    when: { tool: delete_database }
    action: deny
    reason: Deleting databases is never allowed
  - name: transfers-need-two
    priority: 90
    when:
      all:
        - { tool: transfer_funds }
        - { field: args.amount, gt: 1000 }
    action: escalate
    reason: Transfers over 1000 need two finance admins
    approval: { pool: finance-admins, quorum: 2, timeout: 2m, on_timeout: deny }
  - name: outbound-email
    priority: 50
    when: { tool: send_email }
    action: escalate
    reason: Outbound email is reviewed
    approval: { pool: comms, quorum: 1, veto: true, timeout: 2m, on_timeout: deny }
  - name: nobody-answers
    priority: 50
    when: { tool: page_oncall }
    action: escalate
    reason: Paging needs a human, who is asleep
    approval: { pool: comms, quorum: 1, timeout: 2s, on_timeout: deny }
`;

/** Every reviewer with a key. The requester of most escalations, dave, has none. */
export const WORKLOAD_REVIEWERS = [
  "alice@corp.example",
  "bob@corp.example",
  "carol@corp.example",
  "olivia@corp.example",
];

/** The kinds of call a workload makes. */
export const CALL_KINDS = [
  "read",
  "drop",
  "transfer_approve",
  "transfer_reject",
  "email_approve",
  "email_veto",
  "self_approval",
  "wrong_digest_vote",
  "page_expires",
] as const;
/** One of {@link CALL_KINDS}. */
export type CallKind = (typeof CALL_KINDS)[number];

/** Which tools the policy allows by itself, without an approval. */
export const ALLOWED_BY_POLICY = new Set(["search_documents"]);

/** One vote the reviewer bot casts; `intent` says whether it should count or be refused, and why. */
export interface PlannedVote {
  reviewer: string;
  verdict: "approve" | "reject";
  intent: "count" | "self_approval" | "digest_mismatch";
}

/** A call of one kind: what the agent asks, who asks, the votes it gets, and its verdict when nothing fails. */
export interface CallSpec {
  kind: CallKind;
  tool: string;
  args: Record<string, unknown>;
  user: string;
  votes: PlannedVote[];
  expected: { allowed: boolean; outcome: string };
}

const approve = (reviewer: string, intent: PlannedVote["intent"] = "count"): PlannedVote => ({
  reviewer,
  verdict: "approve",
  intent,
});
const reject = (reviewer: string): PlannedVote => ({ reviewer, verdict: "reject", intent: "count" });

/** The call of `kind`; `n` makes its arguments unique. The plan travels in the arguments, so a reviewer sees it. */
export function callSpec(kind: CallKind, n: number): CallSpec {
  const args = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...extra, plan: kind, n });
  switch (kind) {
    case "read":
      return spec(kind, "search_documents", args({ query: `q${n}` }), [], true, "allow");
    case "drop":
      return spec(kind, "delete_database", args({ name: `db${n}` }), [], false, "deny");
    case "transfer_approve":
      return spec(kind, "transfer_funds", args({ amount: 5000 + n, to: "ACME" }), [
        approve("alice@corp.example"),
        approve("bob@corp.example"),
      ]);
    case "transfer_reject":
      return spec(
        kind,
        "transfer_funds",
        args({ amount: 7000 + n, to: "MALLORY" }),
        [reject("alice@corp.example"), reject("bob@corp.example")],
        false,
        "rejected",
      );
    case "email_approve":
      return spec(kind, "send_email", args({ to: "press@example.com", body: `note ${n}` }), [
        approve("olivia@corp.example"),
      ]);
    case "email_veto":
      return spec(
        kind,
        "send_email",
        args({ to: "rival@example.com", body: `leak ${n}` }),
        [reject("carol@corp.example")],
        false,
        "rejected",
      );
    case "self_approval":
      // alice asks; her own approval is refused, so bob and carol decide.
      return {
        ...spec(kind, "transfer_funds", args({ amount: 3000 + n, to: "ACME" }), [
          approve("alice@corp.example", "self_approval"),
          approve("bob@corp.example"),
          approve("carol@corp.example"),
        ]),
        user: "alice@corp.example",
      };
    case "wrong_digest_vote":
      // bob first signs a vote for another action's digest: refused, it counts for nothing.
      return spec(kind, "transfer_funds", args({ amount: 4000 + n, to: "ACME" }), [
        approve("bob@corp.example", "digest_mismatch"),
        approve("alice@corp.example"),
        approve("carol@corp.example"),
      ]);
    case "page_expires":
      return spec(kind, "page_oncall", args({ team: "db" }), [], false, "expired");
  }
}

function spec(
  kind: CallKind,
  tool: string,
  args: Record<string, unknown>,
  votes: PlannedVote[],
  allowed = true,
  outcome = "approved",
): CallSpec {
  return { kind, tool, args, user: "dave@corp.example", votes, expected: { allowed, outcome } };
}

/** The default mix: mostly policy decisions, with every approval path in it. */
export const DEFAULT_MIX: Record<CallKind, number> = {
  read: 40,
  drop: 15,
  transfer_approve: 10,
  transfer_reject: 6,
  email_approve: 6,
  email_veto: 6,
  self_approval: 6,
  wrong_digest_vote: 6,
  page_expires: 5,
};

/** A kind drawn from a mix, with `random` in [0, 1). */
export function drawKind(mix: Partial<Record<CallKind, number>>, random: () => number): CallKind {
  const entries = CALL_KINDS.map((kind) => [kind, mix[kind] ?? 0] as const).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let pick = random() * total;
  for (const [kind, weight] of entries) {
    pick -= weight;
    if (pick < 0) return kind;
  }
  return entries.at(-1)?.[0] ?? "read";
}

/** A small seeded PRNG (mulberry32): a fault schedule can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
