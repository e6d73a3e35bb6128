import { describe, expect, it } from "vitest";
import { decide, NO_APPROVAL_ROUTE, type Decision, type ToolCall } from "../src/index.js";
import { call, policyOf, withRules } from "./helpers.js";

const once = { runCalls: 1 };
const decideText = (text: string, c: ToolCall = call(), counters = once): Decision =>
  decide(policyOf(text), c, counters);

const POOL = `pools:\n  admins: [alice, bob, carol]\n`;
const DEFAULT_APPROVAL = "action: allow\napproval: { pool: admins, quorum: 1, timeout: 15m }";

describe("rule order", () => {
  it("the highest priority wins, even when less restrictive", () => {
    const text = withRules(`  - { name: low-deny, priority: 1, when: { tool: t }, action: deny }
  - { name: high-allow, priority: 5, when: { tool: t }, action: allow }
`);
    expect(decideText(text, call({ tool: "t" }))).toMatchObject({ action: "allow", rule: "high-allow" });
  });

  it("priority defaults to 0 and may be negative", () => {
    const text = withRules(`  - { name: zero, when: { tool: t }, action: audit }
  - { name: negative, priority: -1, when: { tool: t }, action: deny }
`);
    expect(decideText(text, call({ tool: "t" }))).toMatchObject({ action: "audit", rule: "zero" });
  });

  const ACTIONS = ["allow", "audit", "escalate", "deny"] as const;
  for (const [i, weaker] of ACTIONS.entries()) {
    for (const stronger of ACTIONS.slice(i + 1)) {
      it(`on a tie ${stronger} beats ${weaker}, in either written order`, () => {
        const rule = (action: string) =>
          `  - { name: ${action}-rule, priority: 7, when: { tool: t }, action: ${action} }\n`;
        for (const text of [
          withRules(rule(weaker) + rule(stronger), POOL, DEFAULT_APPROVAL),
          withRules(rule(stronger) + rule(weaker), POOL, DEFAULT_APPROVAL),
        ]) {
          expect(decideText(text, call({ tool: "t" }))).toMatchObject({ action: stronger, rule: `${stronger}-rule` });
        }
      });
    }
  }

  it("on a tie of the same action, the rule written first wins", () => {
    const text = withRules(`  - { name: first, when: { tool: t }, action: deny, reason: one }
  - { name: second, when: { tool: t }, action: deny, reason: two }
`);
    expect(decideText(text, call({ tool: "t" }))).toMatchObject({ rule: "first", reason: "one" });
  });

  it("a rule that does not match is skipped whatever its priority", () => {
    const text =
      withRules(`  - { name: big, priority: 100, when: { all: [{ tool: t }, { field: args.n, gt: 10 }] }, action: deny }
  - { name: small, when: { tool: t }, action: audit }
`);
    expect(decideText(text, call({ tool: "t", args: { n: 3 } }))).toMatchObject({ action: "audit", rule: "small" });
    expect(decideText(text, call({ tool: "t", args: { n: 30 } }))).toMatchObject({ action: "deny", rule: "big" });
  });

  it("glob rules and exact-name rules are merged in priority order", () => {
    const text = withRules(`  - { name: exact-low, priority: 1, when: { tool: payments.refund }, action: allow }
  - { name: glob-mid, priority: 5, when: { tool: "payments.*" }, action: audit }
  - { name: any-high, priority: 9, when: { field: args.block, eq: true }, action: deny }
  - { name: exact-top, priority: 20, when: { tool: payments.refund }, action: deny }
`);
    expect(decideText(text, call({ tool: "payments.refund", args: { block: true } }))).toMatchObject({
      rule: "exact-top",
    });
    expect(decideText(text, call({ tool: "payments.charge", args: { block: false } }))).toMatchObject({
      rule: "glob-mid",
    });
    // Without `block`, any-high cannot be decided, and a deny rule that cannot be decided applies.
    expect(decideText(text, call({ tool: "payments.charge" }))).toMatchObject({ rule: "any-high", action: "deny" });
    expect(decideText(text, call({ tool: "payments.charge", args: { block: true } }))).toMatchObject({
      rule: "any-high",
    });
    expect(decideText(text, call({ tool: "other", args: { block: false } }))).toMatchObject({
      rule: null,
      action: "allow",
    });
  });

  it("agent globs select rules", () => {
    const text =
      withRules(`  - { name: finance-only, when: { all: [{ tool: "payments.*" }, { not: { agent: "finance-*" } }] }, action: deny }
`);
    expect(decideText(text, call({ tool: "payments.send", agent_id: "ops-bot" }))).toMatchObject({
      action: "deny",
      rule: "finance-only",
    });
    expect(decideText(text, call({ tool: "payments.send", agent_id: "finance-bot" }))).toMatchObject({
      action: "allow",
      rule: null,
    });
  });
});

describe("defaults", () => {
  it("decide when no rule matches, with rule null", () => {
    expect(decideText(withRules(""))).toEqual({
      action: "allow",
      rule: null,
      reason: "no rule matched; the default is allow",
      policy: expect.objectContaining({ name: "test" }) as unknown,
    });
    expect(decideText(withRules("", "", "action: deny"))).toMatchObject({ action: "deny", rule: null });
  });

  it("a rule's reason is its own, or names the rule", () => {
    const text = withRules(`  - { name: r1, when: { tool: a }, action: deny, reason: Never }
  - { name: r2, when: { tool: b }, action: deny }
`);
    expect(decideText(text, call({ tool: "a" })).reason).toBe("Never");
    expect(decideText(text, call({ tool: "b" })).reason).toBe("rule r2");
  });

  it("audit allows and marks, and carries no approval", () => {
    const decision = decideText(
      withRules(`  - { name: watch, when: { tool: t }, action: audit }\n`),
      call({ tool: "t" }),
    );
    expect(decision).toMatchObject({ action: "audit", rule: "watch" });
    expect(decision.approval).toBeUndefined();
  });
});

describe("escalation", () => {
  it("an escalate rule's approval is resolved: pool listed, defaults filled, timeout in ms", () => {
    const text = withRules(
      `  - { name: big, when: { tool: pay }, action: escalate, approval: { pool: admins, quorum: 2, veto: true, timeout: 2h } }\n`,
      POOL,
    );
    expect(decideText(text, call({ tool: "pay" }))).toMatchObject({
      action: "escalate",
      rule: "big",
      approval: {
        pool: "admins",
        reviewers: ["alice", "bob", "carol"],
        quorum: 2,
        veto: true,
        confirm_by_requester: false,
        timeout_ms: 7_200_000,
        on_timeout: "deny",
      },
    });
  });

  it("a reviewers list instead of a pool", () => {
    const text = withRules(
      `  - { name: r, when: { tool: pay }, action: escalate, approval: { reviewers: [dan, erin], quorum: 2, on_timeout: allow, confirm_by_requester: true } }\n`,
    );
    expect(decideText(text, call({ tool: "pay" })).approval).toEqual({
      pool: null,
      reviewers: ["dan", "erin"],
      quorum: 2,
      veto: false,
      confirm_by_requester: true,
      timeout_ms: 3_600_000,
      on_timeout: "allow",
    });
  });

  it("a rule's approval takes what it leaves out from defaults.approval", () => {
    const text = withRules(
      `  - { name: r, when: { tool: pay }, action: escalate, approval: { quorum: 3 } }\n`,
      POOL,
      DEFAULT_APPROVAL,
    );
    expect(decideText(text, call({ tool: "pay" })).approval).toMatchObject({
      pool: "admins",
      quorum: 3,
      timeout_ms: 900_000,
    });
  });

  it("an escalate rule without approval uses defaults.approval", () => {
    const text = withRules(`  - { name: r, when: { tool: pay }, action: escalate }\n`, POOL, DEFAULT_APPROVAL);
    expect(decideText(text, call({ tool: "pay" }))).toMatchObject({
      action: "escalate",
      rule: "r",
      approval: { pool: "admins", quorum: 1 },
    });
  });

  it("an escalation with no route anywhere is denied (fail closed)", () => {
    const text = withRules(`  - { name: r, when: { tool: pay }, action: escalate }\n`);
    const decision = decideText(text, call({ tool: "pay" }));
    expect(decision).toMatchObject({ action: "deny", rule: "r", reason: NO_APPROVAL_ROUTE });
    expect(decision.approval).toBeUndefined();
  });
});

describe("metadata.require_approval", () => {
  const rules = `  - { name: allow-t, priority: 10, when: { tool: t }, action: allow }
  - { name: audit-u, when: { tool: u }, action: audit }
  - { name: deny-d, when: { tool: d }, action: deny }
  - { name: esc-t, priority: 1, when: { tool: t }, action: escalate, approval: { pool: admins, quorum: 2 } }
`;
  const text = withRules(rules, POOL, DEFAULT_APPROVAL);
  const asking = (tool: string) => call({ tool, metadata: { require_approval: true } });

  it("escalates where an allow rule won, with the requirement of the escalate rule that also matched", () => {
    expect(decideText(text, asking("t"))).toMatchObject({ action: "escalate", rule: "esc-t", approval: { quorum: 2 } });
  });

  it("escalates where an audit rule won, to defaults.approval", () => {
    expect(decideText(text, asking("u"))).toMatchObject({
      action: "escalate",
      rule: null,
      approval: { pool: "admins", quorum: 1 },
    });
  });

  it("escalates where the default allow decided", () => {
    expect(decideText(text, asking("other"))).toMatchObject({ action: "escalate", rule: null });
  });

  it("does not override a deny rule that wins", () => {
    expect(decideText(text, asking("d"))).toMatchObject({ action: "deny", rule: "deny-d" });
  });

  it("never loosens a default deny", () => {
    const denyByDefault = withRules("", POOL, "action: deny\napproval: { pool: admins }");
    expect(decideText(denyByDefault, asking("other"))).toMatchObject({ action: "deny", rule: null });
  });

  it("is denied when there is no approval route", () => {
    expect(decideText(withRules(`  - { name: ok, when: { tool: t }, action: allow }\n`), asking("t"))).toMatchObject({
      action: "deny",
      reason: NO_APPROVAL_ROUTE,
    });
  });

  it("require_approval: false changes nothing", () => {
    expect(decideText(text, call({ tool: "t", metadata: { require_approval: false } }))).toMatchObject({
      action: "allow",
      rule: "allow-t",
    });
  });
});

describe("sensitive_tools", () => {
  const text = withRules(
    `  - { name: allow-shell, when: { tool: shell.execute }, action: allow }
  - { name: deny-rm, priority: 5, when: { all: [{ tool: shell.execute }, { field: args.cmd, starts_with: "rm " }] }, action: deny, reason: no rm }
`,
    `${POOL}sensitive_tools: [shell.execute, "db.*"]\n`,
    "action: deny\napproval: { pool: admins, quorum: 2 }",
  );

  it("escalate even where an allow rule matched", () => {
    expect(decideText(text, call({ tool: "shell.execute", args: { cmd: "ls" } }))).toMatchObject({
      action: "escalate",
      reason: "shell.execute is a sensitive tool",
      approval: { quorum: 2 },
    });
  });

  it("a deny rule that wins still denies", () => {
    expect(decideText(text, call({ tool: "shell.execute", args: { cmd: "rm -rf /" } }))).toMatchObject({
      action: "deny",
      rule: "deny-rm",
    });
  });

  it("may be globs, and escalate even where the default is deny", () => {
    expect(decideText(text, call({ tool: "db.drop" }))).toMatchObject({ action: "escalate", rule: null });
    expect(decideText(text, call({ tool: "other" }))).toMatchObject({ action: "deny", rule: null });
  });
});

describe("max_tool_calls", () => {
  const text = withRules(
    `  - { name: esc, when: { tool: pay }, action: escalate, approval: { reviewers: [a] } }\n`,
    "",
    "action: allow\nmax_tool_calls: 3",
  );

  it("allows up to the limit and denies the call past it, before any rule", () => {
    expect(decideText(text, call(), { runCalls: 3 })).toMatchObject({ action: "allow" });
    expect(decideText(text, call(), { runCalls: 4 })).toMatchObject({
      action: "deny",
      rule: null,
      reason: "run run-1 is past max_tool_calls: this is call 4, the limit is 3",
    });
    expect(decideText(text, call({ tool: "pay" }), { runCalls: 4 })).toMatchObject({ action: "deny", rule: null });
  });

  it("without a limit, any count is fine", () => {
    expect(decideText(withRules(""), call(), { runCalls: 1_000_000 })).toMatchObject({ action: "allow" });
  });
});

describe("policy identity", () => {
  it("every decision names the policy and its version", () => {
    const policy = policyOf(withRules(""));
    expect(decide(policy, call(), once).policy).toEqual({ name: "test", version: policy.identity.version });
    expect(policy.identity.version).toMatch(/^[0-9a-f]{64}$/);
  });
});
