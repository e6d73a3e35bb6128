import { describe, expect, it } from "vitest";
import { loadPolicy } from "../src/index.js";
import { errorsOf } from "./helpers.js";

// Every reason a policy is refused, each with the line and column it names (`line:col: path: reason`).
// Documents are written out in full so that the positions can be checked by eye.

const HEAD = "version: 1\nname: t\ndefaults: { action: allow }\n";

describe("refused policies name file:line:col and the reason", () => {
  const cases: [string, string, string[]][] = [
    [
      "a YAML syntax error",
      "version: 1\nname: [x\n",
      ["3:1: Flow sequence in block collection must be sufficiently indented and end with a ]"],
    ],
    [
      "a duplicate key",
      "version: 1\nname: x\nname: y\ndefaults: { action: allow }\n",
      ["3:1: Map keys must be unique"],
    ],
    [
      "tabs as indentation",
      "version: 1\nname: x\ndefaults:\n\taction: allow\n",
      ["4:1: Tabs are not allowed as indentation"],
    ],
    ["an unknown tag", "version: 1\nname: !foo x\ndefaults: { action: allow }\n", ["2:7: Unresolved tag: !foo"]],
    ["an empty file", "# only a comment\n", ["1:1: the policy is empty"]],
    [
      "a document that is not a mapping",
      "- version: 1\n",
      ["1:1: a policy is a mapping with version, name, defaults and rules"],
    ],
    ["a missing key", "version: 1\ndefaults: { action: allow }\n", ['1:1: missing "name"']],
    [
      "a wrong version",
      "version: 2\nname: t\ndefaults: { action: allow }\n",
      ["1:10: version: Invalid input: expected 1"],
    ],
    [
      "an unknown top-level key",
      `${HEAD}rulez: []\n`,
      [
        '4:1: rulez: unknown key "rulez" (expected one of: version, name, defaults, pools, sensitive_tools, tools, rules)',
      ],
    ],
    [
      "an unknown key in defaults",
      "version: 1\nname: t\ndefaults:\n  action: allow\n  max_calls: 5\n",
      ['5:3: defaults.max_calls: unknown key "max_calls" (expected one of: action, max_tool_calls, approval)'],
    ],
    [
      "a default action that is not allow or deny",
      "version: 1\nname: t\ndefaults: { action: escalate }\n",
      ['3:21: defaults.action: Invalid option: expected one of "allow"|"deny"'],
    ],
    [
      "max_tool_calls below 1",
      "version: 1\nname: t\ndefaults: { action: allow, max_tool_calls: 0 }\n",
      ["3:44: defaults.max_tool_calls: Too small: expected number to be >=1"],
    ],
    [
      "an unknown rule key",
      `${HEAD}rules:\n  - name: r\n    when: { tool: t }\n    action: deny\n    priorty: 3\n`,
      [
        '8:5: rules[0].priorty: unknown key "priorty" (expected one of: name, priority, when, action, reason, approval)',
      ],
    ],
    [
      "a rule without a name",
      `${HEAD}rules:\n  - { when: { tool: t }, action: deny }\n`,
      ['5:5: rules[0]: missing "name"'],
    ],
    [
      "an unknown action",
      `${HEAD}rules:\n  - { name: r, when: { tool: t }, action: block }\n`,
      ['5:43: rules[0].action: Invalid option: expected one of "allow"|"deny"|"escalate"|"audit"'],
    ],
    [
      "an unknown operator",
      `${HEAD}rules:\n  - name: r\n    when: { field: args.x, equals: 1 }\n    action: deny\n`,
      [
        '6:28: rules[0].when.equals: unknown operator "equals" (expected one of: eq, ne, in, not_in, gt, gte, lt, lte, contains, starts_with, matches, glob, exists)',
      ],
    ],
    [
      "an operator without a field",
      `${HEAD}rules:\n  - name: r\n    when: { gt: 1 }\n    action: deny\n`,
      ["6:11: rules[0].when: operator gt needs a field (e.g. { field: args.amount, gt: ... })"],
    ],
    [
      "an unknown condition",
      `${HEAD}rules:\n  - name: r\n    when: { tools: t }\n    action: deny\n`,
      ['6:11: rules[0].when: unknown condition "tools" (expected one of: tool, agent, field, all, any, not)'],
    ],
    [
      "two conditions in one mapping",
      `${HEAD}rules:\n  - name: r\n    when: { tool: t, agent: a }\n    action: deny\n`,
      ["6:11: rules[0].when: one condition per mapping: combine tool and agent with all: [...]"],
    ],
    [
      "an unknown key beside a condition",
      `${HEAD}rules:\n  - name: r\n    when: { not: { tool: t }, because: x }\n    action: deny\n`,
      ['6:31: rules[0].when.because: unknown key "because" in a not condition'],
    ],
    [
      "two operators in one field condition",
      `${HEAD}rules:\n  - name: r\n    when: { field: args.n, gt: 1, lt: 5 }\n    action: deny\n`,
      ["6:11: rules[0].when: a field condition takes one operator, not gt and lt; combine with all: [...]"],
    ],
    [
      "a field condition without an operator",
      `${HEAD}rules:\n  - name: r\n    when: { field: args.n }\n    action: deny\n`,
      [
        "6:11: rules[0].when: field condition needs an operator (one of: eq, ne, in, not_in, gt, gte, lt, lte, contains, starts_with, matches, glob, exists)",
      ],
    ],
    [
      "a malformed field path",
      `${HEAD}rules:\n  - name: r\n    when: { field: args..n, eq: 1 }\n    action: deny\n`,
      ['6:20: rules[0].when.field: field "args..n" has an empty segment'],
    ],
    [
      "a bad regular expression",
      `${HEAD}rules:\n  - name: r\n    when:\n      field: args.cmd\n      matches: "rm (-rf"\n    action: deny\n`,
      [
        "8:16: rules[0].when.matches: bad regular expression: Invalid regular expression: /rm (-rf/u: Unterminated group",
      ],
    ],
    [
      "an operand of the wrong type",
      `${HEAD}rules:\n  - name: r\n    when: { field: context.environment, in: production }\n    action: deny\n`,
      ["6:45: rules[0].when.in: in needs a list of values"],
    ],
    [
      "an empty all",
      `${HEAD}rules:\n  - name: r\n    when: { all: [] }\n    action: deny\n`,
      ["6:18: rules[0].when.all: all needs a non-empty list of conditions"],
    ],
    [
      "an empty tool name",
      `${HEAD}rules:\n  - name: r\n    when: { tool: "" }\n    action: deny\n`,
      ["6:19: rules[0].when.tool: tool needs a name or glob pattern"],
    ],
    [
      "a condition nested too deep",
      `${HEAD}rules:\n  - name: r\n    action: deny\n    when: ${"{ not: ".repeat(34)}{ tool: t }${" }".repeat(34)}\n`,
      [`7:${11 + 7 * 33}: rules[0].when${".not".repeat(33)}: conditions nest deeper than 32 levels`],
    ],
    [
      "duplicate rule names",
      `${HEAD}rules:\n  - { name: r, when: { tool: a }, action: deny }\n  - { name: r, when: { tool: b }, action: deny }\n`,
      ['6:13: rules[1].name: duplicate rule name "r" (also rules[0])'],
    ],
    [
      "approval on a rule that does not escalate",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: allow\n    approval: { reviewers: [x] }\n`,
      ["8:5: rules[0].approval: approval applies only to escalate rules; this rule's action is allow"],
    ],
    [
      "an unknown approval key",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { reviewers: [x], qorum: 1 }\n`,
      [
        '8:33: rules[0].approval.qorum: unknown key "qorum" (expected one of: pool, reviewers, quorum, veto, confirm_by_requester, timeout, on_timeout)',
      ],
    ],
    [
      "a pool that does not exist",
      `${HEAD}pools:\n  admins: [a, b]\nrules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { pool: finance, quorum: 1 }\n`,
      ['10:23: rules[0].approval.pool: unknown pool "finance" (pools: admins)'],
    ],
    [
      "a quorum larger than its pool",
      `${HEAD}pools:\n  admins: [a, b]\nrules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { pool: admins, quorum: 3 }\n`,
      ['10:39: rules[0].approval.quorum: quorum 3 is larger than pool "admins" (2 members)'],
    ],
    [
      "a quorum larger than the reviewers list",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { reviewers: [a], quorum: 2 }\n`,
      ["8:41: rules[0].approval.quorum: quorum 2 is larger than the reviewers list (1 member)"],
    ],
    [
      "both a pool and reviewers",
      `${HEAD}pools: { p: [a] }\nrules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { pool: p, reviewers: [a] }\n`,
      ["9:15: rules[0].approval: approval takes a pool or a reviewers list, not both"],
    ],
    [
      "an approval with no route",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { quorum: 1 }\n`,
      ["8:15: rules[0].approval: approval needs a pool or a reviewers list"],
    ],
    [
      "a reviewer listed twice",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { reviewers: [a, b, a] }\n`,
      ['8:35: rules[0].approval.reviewers[2]: "a" is listed twice in this reviewers list'],
    ],
    [
      "a pool member listed twice",
      `${HEAD}pools:\n  p: [a, a]\n`,
      ['5:10: pools.p[1]: "a" is listed twice in this pool'],
    ],
    ["an empty pool", `${HEAD}pools:\n  p: []\n`, ["5:6: pools.p: Too small: expected array to have >=1 items"]],
    [
      "a bad timeout",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { reviewers: [a], timeout: 1w }\n`,
      ["8:42: rules[0].approval.timeout: timeout is a duration such as 30s, 15m, 1h or 2d"],
    ],
    [
      "a bad on_timeout",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { reviewers: [a], on_timeout: approve }\n`,
      ['8:45: rules[0].approval.on_timeout: Invalid option: expected one of "deny"|"allow"'],
    ],
    [
      "a quorum below 1",
      `${HEAD}rules:\n  - name: r\n    when: { tool: a }\n    action: escalate\n    approval: { reviewers: [a], quorum: 0 }\n`,
      ["8:41: rules[0].approval.quorum: Too small: expected number to be >=1"],
    ],
    [
      "a default approval with an unknown pool",
      "version: 1\nname: t\ndefaults:\n  action: allow\n  approval: { pool: nobody }\n",
      ['5:21: defaults.approval.pool: unknown pool "nobody" (no pools are defined)'],
    ],
    [
      "sensitive_tools without defaults.approval",
      `${HEAD}sensitive_tools: [shell.execute]\n`,
      ["4:18: sensitive_tools: sensitive_tools are escalated to defaults.approval, which this policy does not set"],
    ],
    [
      "a bad glob",
      `${HEAD}rules:\n  - { name: r, when: { tool: "${"*".repeat(70_000)}" }, action: deny }\n`,
      [
        `5:30: rules[0].when.tool: bad glob "${"*".repeat(70_000)}": Input length: 70000, exceeds maximum allowed length: 65536`,
      ],
    ],
    [
      "JSON, with positions too",
      '{\n  "version": 1,\n  "name": "j",\n  "defaults": { "action": "allow" },\n  "rules": [{ "name": "r", "when": { "field": "args.x", "matches": "[" }, "action": "deny" }]\n}\n',
      [
        "5:68: rules[0].when.matches: bad regular expression: Invalid regular expression: /[/u: Unterminated character class",
      ],
    ],
  ];

  it.each(cases)("%s", (_what, text, expected) => {
    expect(errorsOf(text)).toEqual(expected);
  });

  it("reports every error at once, in the order of the file, including cross-references beside schema errors", () => {
    const text = `version: 1
name: t
defaults: { action: allow }
pools:
  admins: [a, b]
rules:
  - name: r
    when: { field: args.x, inn: [1] }
    action: escalate
    approval: { pool: nope }
  - name: r
    when: { tool: t }
    action: deny
`;
    expect(errorsOf(text)).toEqual([
      '8:28: rules[0].when.inn: unknown operator "inn" (expected one of: eq, ne, in, not_in, gt, gte, lt, lte, contains, starts_with, matches, glob, exists)',
      '10:23: rules[0].approval.pool: unknown pool "nope" (pools: admins)',
      '11:11: rules[1].name: duplicate rule name "r" (also rules[0])',
    ]);
  });

  it("accepts the example of DESIGN.md", () => {
    const text = `version: 1
name: finance
defaults:
  action: allow
  max_tool_calls: 50
  approval: { pool: finance-admins, quorum: 1, timeout: 15m, on_timeout: deny }
pools:
  finance-admins: [alice@corp.example, bob@corp.example, carol@corp.example]
sensitive_tools: [shell.execute]
rules:
  - name: block-delete-database
    priority: 100
    when: { tool: delete_database }
    action: deny
    reason: Deleting databases is never allowed
  - name: large-transfer
    priority: 90
    when:
      all:
        - { tool: "payments.*" }
        - { field: args.amount, gt: 1000 }
        - { field: context.environment, in: [production] }
    action: escalate
    reason: Transfers over 1000 need two finance admins
    approval:
      pool: finance-admins
      quorum: 2
      veto: false
      confirm_by_requester: false
      timeout: 1h
      on_timeout: deny
`;
    expect(loadPolicy(text).ok).toBe(true);
  });
});
