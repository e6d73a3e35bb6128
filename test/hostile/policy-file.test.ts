import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MIGRATIONS,
  formatPolicyError,
  loadPolicy,
  startPolicyService,
  type RunningPolicyService,
} from "@airlock/policy";
import {
  ConfigError,
  TOPICS,
  actionDigest,
  createEvent,
  createLogger,
  createMetrics,
  createTransport,
  loadConfig,
  migrate,
  newId,
  silentLogger,
  type AirlockEvent,
  type SqlClient,
  type Transport,
} from "@airlock/shared";
import { createPgliteDatabase, waitFor } from "@airlock/shared/testing";
import { writeFigures } from "../faults/support/results.js";
import { Tally } from "./support/tally.js";

// A policy file with every kind of error: each is reported with its line, column and reason (the
// service will not start on it), hostile documents (alias bombs, deep nesting, binary) are refused
// without taking the process down, and a running service that sees its file turn bad keeps deciding
// with the policy it had.

/** Every schema error at once: `[line, what the message says]` for each. */
const EVERY_SCHEMA_ERROR = `version: 2
name: ""
defaults:
  action: escalate
  max_tool_calls: 0
  approval: { pool: nobody, quorum: 0, timeout: soon, on_timeout: maybe }
pools:
  admins: [alice@corp.example]
  empty: []
sensitive_tools: [shell.execute, 42]
rulez: []
rules:
  - name: dup
    priority: high
    when: { tool: t }
    action: deny
  - name: dup
    when: { field: args.x, equals: 1 }
    action: block
  - when: { gt: 1 }
    action: deny
  - name: bad-regex
    when: { field: args.x, matches: "([a-z" }
    action: deny
  - name: two-ops
    when: { field: args.n, gt: 1, lt: 5 }
    action: deny
  - name: unknown-key
    when: { tool: t }
    action: escalate
    approval: { pool: admins, quorum: 1, timeout: 1h, on_timeout: deny, colour: red }
  - name: bad-path
    when: { field: args..x, eq: 1 }
    action: allow
  - name: not-a-list
    when: { all: { tool: t } }
    action: deny
`;
const SCHEMA_ERRORS: Array<[number, string]> = [
  [1, "version: Invalid input: expected 1"],
  [2, "name: Too small"],
  [4, "defaults.action: Invalid option"],
  [5, "defaults.max_tool_calls: Too small"],
  [6, "defaults.approval.quorum: Too small"],
  [6, "defaults.approval.timeout: timeout is a duration"],
  [6, "defaults.approval.on_timeout: Invalid option"],
  [9, "pools.empty: Too small"],
  [10, "sensitive_tools[1]: Invalid input: expected string"],
  [11, 'rulez: unknown key "rulez"'],
  [14, "rules[0].priority: Invalid input: expected number"],
  [17, 'rules[1].name: duplicate rule name "dup"'],
  [18, 'rules[1].when.equals: unknown operator "equals"'],
  [19, "rules[1].action: Invalid option"],
  [20, 'rules[2]: missing "name"'],
  [20, "rules[2].when: operator gt needs a field"],
  [23, "rules[3].when.matches: bad regular expression"],
  [26, "rules[4].when: a field condition takes one operator"],
  [31, 'rules[5].approval.colour: unknown key "colour"'],
  [33, 'rules[6].when.field: field "args..x" has an empty segment'],
  [36, "rules[7].when.all: all needs a non-empty list"],
];

/** A document whose every part is well formed but whose cross-references are wrong. */
const EVERY_REFERENCE_ERROR = `version: 1
name: references
defaults: { action: allow }
pools:
  admins: [alice@corp.example]
sensitive_tools: [shell.execute]
rules:
  - name: unknown-pool
    when: { tool: a }
    action: escalate
    approval: { pool: nobody, quorum: 1 }
  - name: impossible-quorum
    when: { tool: b }
    action: escalate
    approval: { pool: admins, quorum: 3 }
  - name: escalate-nowhere
    when: { tool: c }
    action: escalate
`;

/** Hostile documents: each must be refused with a reason, none may throw. */
const HOSTILE_DOCUMENTS: Record<string, string> = {
  "an empty file": "",
  "only a comment": "# nothing\n",
  "a scalar": "just text\n",
  "binary garbage": "\u0000\u0001\u0002\uFFFD\u0007",
  "a YAML syntax error, a duplicate key and tabs":
    "version: 1\nname: x\nname: y\ndefaults:\n\taction: allow\nrules: [\n",
  "an unknown tag": "version: 1\nname: !!js/function 'return 1'\ndefaults: { action: allow }\n",
  "an alias bomb (billion laughs)": [
    "a: &a [x,x,x,x,x,x,x,x,x]",
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
    "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
  ].join("\n"),
  "conditions nested 3,000 levels deep":
    "version: 1\nname: x\ndefaults: { action: allow }\nrules:\n  - name: r\n    action: deny\n    when: " +
    "{ not: ".repeat(3000) +
    "{ tool: t }" +
    " }".repeat(3000) +
    "\n",
  "JSON with wrong types": '{"version": 1, "name": "x", "defaults": {"action": "allow"}, "rules": [{"name": 5}]}',
  "SQL in every string": `version: 1\nname: "'; drop table policy.decisions; --"\ndefaults: { action: "' OR 1=1" }\n`,
  "a 1 MiB rule name": `version: 1\nname: x\ndefaults: { action: allow }\nrules:\n  - { name: ${"n".repeat(1 << 20)}, when: { tool: t }, action: maybe }\n`,
};

describe("hostile policy files", () => {
  const tally = new Tally();
  afterAll(async () => {
    await writeFigures("hostile", "policy-files", tally.figures());
  });

  it("reports every schema error of one file, each with its line, column and reason", () => {
    const loaded = loadPolicy(EVERY_SCHEMA_ERROR);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const lines = loaded.errors.map((error) => formatPolicyError("policy.yaml", error));
    for (const [line, fragment] of SCHEMA_ERRORS) {
      expect(
        lines.some((l) => l.startsWith(`policy.yaml:${line}:`) && l.includes(fragment)),
        `${line}: ${fragment}\n${lines.join("\n")}`,
      ).toBe(true);
      tally.record("policy file errors", "refused");
    }
    // In file order, so an author fixes them top to bottom.
    const order = loaded.errors.map((error) => error.line);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("reports every broken cross-reference: unknown pool, impossible quorum, escalation without a route", () => {
    const loaded = loadPolicy(EVERY_REFERENCE_ERROR);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const text = loaded.errors.map((error) => formatPolicyError("policy.yaml", error)).join("\n");
    for (const fragment of ["nobody", "quorum", "sensitive_tools"]) {
      expect(text).toContain(fragment);
      tally.record("policy file errors", "refused");
    }
    expect(loaded.errors.length).toBeGreaterThanOrEqual(3);
  });

  it.each(Object.entries(HOSTILE_DOCUMENTS))("refuses %s with a reason, without throwing", (_, text) => {
    const loaded = loadPolicy(text);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.length).toBeGreaterThan(0);
    for (const error of loaded.errors) {
      expect(error.line).toBeGreaterThanOrEqual(1);
      expect(error.message).not.toBe("");
    }
    tally.record("hostile policy documents", "refused");
  });
});

describe("the policy service and a policy file that turns bad", () => {
  const tally = new Tally();
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
  let dir: string;
  let file: string;
  let sql: SqlClient;
  let transport: Transport;
  let service: RunningPolicyService;
  const decided: Array<AirlockEvent<"airlock.policy.decided">> = [];

  const GOOD = `version: 1\nname: good\ndefaults: { action: deny }\nrules:\n  - { name: read, when: { tool: search_documents }, action: allow }\n`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "airlock-hostile-policy-"));
    file = path.join(dir, "policy.yaml");
    await writeFile(file, GOOD);
    sql = await createPgliteDatabase();
    await migrate(sql, { schema: "policy", directory: MIGRATIONS });
    transport = await createTransport(`memory://hostile-policy-${newId()}`, { logger: silentLogger() });
    await transport.start();
    await transport.subscribe({
      group: "watch",
      topics: [TOPICS.decisions],
      handler: (event) => {
        if (event.type === "airlock.policy.decided") decided.push(event);
        return Promise.resolve();
      },
    });
    service = await startPolicyService({
      config: loadConfig({}),
      transport,
      sql,
      logger,
      metrics: createMetrics(),
      policyPath: file,
      reloadDebounceMs: 20,
    });
  });

  afterAll(async () => {
    await writeFigures("hostile", "policy-reloads", tally.figures());
    await service?.stop();
    await transport?.close();
    await sql?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function decide(): Promise<AirlockEvent<"airlock.policy.decided">> {
    const data = { agent_id: "a", tool: "search_documents", args: { n: newId() } };
    const event = createEvent({
      type: "airlock.tool_call.requested",
      source: "agent/a",
      subject: newId(),
      data: { ...data, call_id: newId(), run_id: "r", action_digest: actionDigest(data) },
    });
    await transport.publish(event);
    let found: AirlockEvent<"airlock.policy.decided"> | undefined;
    await waitFor(
      () => (found = decided.find((d) => d.data.call_id === event.data.call_id)) !== undefined,
      "the decision",
    );
    return found!;
  }

  it("will not start on a policy with errors, and says every one of them", async () => {
    const start = startPolicyService({
      config: loadConfig({}),
      transport,
      sql,
      logger: silentLogger(),
      metrics: createMetrics(),
      policy: EVERY_SCHEMA_ERROR,
    });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    const message = await start.then(
      () => "",
      (error: Error) => error.message,
    );
    for (const [line, fragment] of SCHEMA_ERRORS)
      expect(message).toMatch(new RegExp(`<policy>:${line}:\\d+: .*${escape(fragment)}`));
  });

  it("keeps deciding with the policy in force when its file turns bad, and takes the next good one", async () => {
    const version = service.policy().version;
    expect((await decide()).data.policy.version).toBe(version);
    for (const [name, text] of Object.entries(HOSTILE_DOCUMENTS)) {
      const before = lines.length;
      await writeFile(file, text);
      await waitFor(
        () => lines.slice(before).some((line) => line.includes("policy file is invalid")),
        `the service to refuse ${name}`,
      );
      const decision = await decide();
      expect(decision.data.policy.version, name).toBe(version);
      expect(decision.data.action).toBe("allow");
      tally.record("bad policy reloads", "refused");
    }
    await writeFile(file, GOOD.replace("name: good", "name: better"));
    await waitFor(() => service.policy().name === "better", "the next good policy");
    expect((await decide()).data.policy.name).toBe("better");
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
