import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  escalation,
  onlyVerdict,
  open,
  refusals,
  startDeployment,
  voteEvent,
  type Deployment,
} from "./support/index.js";

// The embedded default of `airlock start`: the same migrations, row locks and SKIP LOCKED sweeps on PGlite.

describe("approvals on PGlite", { timeout: 30_000 }, () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await startDeployment({ brokerUrl: "memory://", database: "pglite" });
    // PGlite compiles its WebAssembly and initialises a cluster first: seconds, more on a busy machine.
  }, 60_000);
  afterAll(async () => {
    await d?.stop();
  });

  it("approves 2-of-3 and refuses a self-approval", async () => {
    const call = escalation({ reviewers: ["alice", "bob", "dave"] });
    const id = await open(d, call);
    for (const person of ["dave", "alice", "bob"])
      await d.transport.publish(voteEvent(id, call.action_digest, person, "approve"));
    expect(await onlyVerdict(d, call, id)).toMatchObject({ allowed: true, outcome: "approved" });
    expect(await refusals(d, id)).toEqual([{ reviewer: "dave", reason: "self_approval" }]);
  });

  it("expires a request to on_timeout", async () => {
    const call = escalation({ timeout_ms: 300 });
    const id = await open(d, call);
    expect(await onlyVerdict(d, call, id)).toMatchObject({ allowed: false, outcome: "expired", decided_by: "timeout" });
  });
});
