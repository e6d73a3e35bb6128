import { actionDigest } from "@airlock/shared";
import { describe, expect, it } from "vitest";
import { completeCall, formatPolicyError, parseCases, runCases } from "../src/index.js";
import { policyOf, withRules } from "./helpers.js";

describe("completeCall (policy eval's EVENT)", () => {
  it("fills in the ids and the digest", () => {
    const completed = completeCall({ tool: "t", args: { a: 1 } });
    expect(completed).toEqual({
      ok: true,
      call: {
        call_id: "eval-call",
        run_id: "eval-run",
        agent_id: "eval-agent",
        tool: "t",
        args: { a: 1 },
        action_digest: actionDigest({ agent_id: "eval-agent", tool: "t", args: { a: 1 } }),
        context: {},
        metadata: {},
      },
    });
  });

  it("takes the data of a whole CloudEvent", () => {
    const completed = completeCall({
      specversion: "1.0",
      type: "airlock.tool_call.requested",
      data: { agent_id: "a", tool: "t", args: {} },
    });
    expect(completed.ok && completed.call.agent_id).toBe("a");
  });

  it("refuses a digest that is not the call's", () => {
    expect(completeCall({ tool: "t", args: {}, action_digest: "0".repeat(64) })).toEqual({
      ok: false,
      issues: [
        {
          path: ["action_digest"],
          message: `is not the digest of agent_id, tool and args (${actionDigest({ agent_id: "eval-agent", tool: "t", args: {} })})`,
        },
      ],
    });
  });

  it("refuses what is not a tool call", () => {
    expect(completeCall([1])).toMatchObject({ ok: false });
    expect(completeCall({ args: {} })).toEqual({ ok: false, issues: [{ path: [], message: 'missing "tool"' }] });
    expect(completeCall({ tool: "t", args: {}, surprise: 1 })).toMatchObject({ ok: false });
  });
});

describe("parseCases", () => {
  it("reads a list of cases; run_calls defaults to 1", () => {
    const parsed = parseCases(
      `- name: one\n  event: { tool: t, args: {} }\n  expect: { action: allow }\n- name: two\n  event: { tool: t, args: {} }\n  run_calls: 9\n  expect: { action: deny, rule: null }\n`,
    );
    expect(parsed.ok && parsed.cases.map(({ name, runCalls, expect: e }) => ({ name, runCalls, e }))).toEqual([
      { name: "one", runCalls: 1, e: { action: "allow" } },
      { name: "two", runCalls: 9, e: { action: "deny", rule: null } },
    ]);
  });

  const errors = (text: string) => {
    const parsed = parseCases(text);
    if (parsed.ok) throw new Error("expected errors");
    return parsed.errors.map((error) => formatPolicyError("c", error));
  };

  it("names the position of each bad case", () => {
    expect(errors("name: not a list\n")).toEqual(["c:1:1: a cases file is a list of {name, event, expect}"]);
    expect(errors("- name: a\n  event: { tool: t, args: {} }\n  expect: { action: maybe }\n")).toEqual([
      'c:3:21: [0].expect.action: Invalid option: expected one of "allow"|"deny"|"escalate"|"audit"',
    ]);
    expect(errors("- name: a\n  event: { args: {} }\n  expect: { action: allow }\n")).toEqual([
      'c:2:10: [0].event: missing "tool"',
    ]);
    expect(errors("- { name: a, event: { tool: t, args: {} } }\n")).toEqual(['c:1:3: [0]: missing "expect"']);
    expect(errors("- { name: a, event: { tool: t, args: {}, extra: 1 }, expect: { action: allow } }\n")).toEqual([
      'c:1:42: [0].event.extra: unknown key "extra" (expected one of: call_id, agent_id, run_id, tool, args, action_digest, context, metadata, reply_to)',
    ]);
  });
});

describe("runCases", () => {
  const policy = policyOf(withRules(`  - { name: no-t, when: { tool: t }, action: deny }\n`));
  const parsed = parseCases(`- { name: right, event: { tool: t, args: {} }, expect: { action: deny, rule: no-t } }
- { name: wrong-action, event: { tool: t, args: {} }, expect: { action: allow } }
- { name: wrong-rule, event: { tool: t, args: {} }, expect: { action: deny, rule: other } }
- { name: defaults, event: { tool: u, args: {} }, expect: { action: allow, rule: null } }
- { name: not-defaults, event: { tool: t, args: {} }, expect: { action: deny, rule: null } }
`);

  it("passes a case when the action matches, and the rule when it is given (null: the defaults)", () => {
    if (!parsed.ok) throw new Error("bad cases");
    expect(runCases(policy, parsed.cases).map(({ name, pass }) => [name, pass])).toEqual([
      ["right", true],
      ["wrong-action", false],
      ["wrong-rule", false],
      ["defaults", true],
      ["not-defaults", false],
    ]);
  });
});
