import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createHttpServer,
  createMetrics,
  parseReviewersFile,
  readReviewerKey,
  signVote,
  silentLogger,
  verifyVote,
  writeReviewerKey,
} from "@airlock/shared";
// The CLI commands are plain modules exporting a Command; they live in packages/cli, the routes they call here.
import { approvals } from "../../../packages/cli/src/commands/approvals.js";
import { approve, reject } from "../../../packages/cli/src/commands/approve.js";
import { keys } from "../../../packages/cli/src/commands/keys.js";
import { approvalRoutes } from "../src/index.js";
import { escalation, keyOf, open, startDeployment, type Deployment } from "./support/index.js";

type Command = { run(args: string[]): Promise<number> };

/** Run a command, capturing what it writes. */
async function run(command: Command, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await command.run(args), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("airlock approvals / approve / reject / keys", () => {
  let d: Deployment;
  let app: FastifyInstance;
  let keysDir: string;
  beforeAll(async () => {
    d = await startDeployment({ brokerUrl: "memory://" });
    app = await createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics(),
      routes: [approvalRoutes({ sql: d.sql, transport: d.transport })],
    });
    process.env["AIRLOCK_URL"] = await app.listen({ host: "127.0.0.1", port: 0 });
    keysDir = await mkdtemp(join(tmpdir(), "airlock-cli-keys-"));
    process.env["AIRLOCK_KEYS"] = keysDir;
    for (const person of ["alice", "bob", "dave"]) await writeReviewerKey(keysDir, person, keyOf(person));
  });
  afterAll(async () => {
    await app?.close();
    await d?.stop();
    if (keysDir) await rm(keysDir, { recursive: true, force: true });
  });

  it("keys generate writes a private key and prints the reviewers-file line of its public key", async () => {
    const { code, out, err } = await run(keys, ["generate", "--as", "frank@corp.example"]);
    expect(code).toBe(0);
    expect(err).toMatch(/mode 0600/);
    const registered = parseReviewersFile(out);
    const key = await readReviewerKey(keysDir, "frank@corp.example");
    const vote = signVote(
      {
        vote_id: "v",
        request_id: "r",
        action_digest: "a".repeat(64),
        reviewer: "frank@corp.example",
        verdict: "approve",
      },
      key,
    );
    expect(verifyVote(vote, registered)).toBe("valid");
    expect((await run(keys, ["generate", "--as", "frank@corp.example"])).code).toBe(1);
    expect((await run(keys, ["generate"])).code).toBe(2);
  });

  it("lists and shows pending requests, approves with two reviewers, and refuses to vote on a resolved one", async () => {
    const call = escalation();
    const id = await open(d, call);

    const listed = await run(approvals, ["list", "--state", "pending"]);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${id}  ${call.agent_id} → payments.transfer  (pending: 0/2 approvals`);
    expect(listed.out).toContain('args:      {"amount":5000,"to":"acct-42"}');
    expect(listed.out).toContain("requester: dave   rule: large-transfer");
    const json = JSON.parse((await run(approvals, ["list", "--state", "pending", "--json"])).out) as Array<{
      id: string;
    }>;
    expect(json.map((a) => a.id)).toContain(id);

    const self = await run(approve, [id, "--as", "dave"]);
    expect(self.code).toBe(1);
    expect(self.out).toMatch(new RegExp(`${id}: refused — self_approval`));

    const first = await run(approve, [id, "--as", "alice", "--comment", "checked the invoice"]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain(`${id}: counted — approve counted; 1/2 approvals so far`);
    const second = await run(approve, [id, "--as", "bob"]);
    expect(second.out).toContain(`${id}: counted — approve counted; the request is approved`);

    const shown = await run(approvals, ["show", id]);
    expect(shown.out).toMatch(/state: +approved: approved by alice, bob/);
    expect(shown.out).toContain("alice: approve — checked the invoice");
    expect(shown.out).toContain("dave: self_approval");

    const late = await run(reject, [id, "--as", "alice"]);
    expect(late.code).toBe(1);
    expect(late.out).toContain(`${id}: not_sent — the request is already approved`);
  });

  it("exits 2 on bad usage and 1 on an unknown request", async () => {
    expect((await run(approvals, ["frobnicate"])).code).toBe(2);
    expect((await run(approvals, ["list", "--state", "bogus"])).code).toBe(2);
    expect((await run(approve, ["some-id"])).code).toBe(2);
    const missing = await run(approvals, ["show", "no-such-id"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no approval request no-such-id \(404 not_found\)/);
  });
});
