import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId, TOPICS, type AirlockEvent } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import {
  brokersUnderTest,
  escalation,
  eventsFor,
  handled,
  open,
  refusals,
  startDeployment,
  voteEvent,
  type Deployment,
} from "./support/index.js";

// Ids that name one person in two spellings, and events that reuse a handled id with other content: the
// ways to get a vote counted twice, approve one's own call, or suppress an event by sending a decoy first.

describe.each(brokersUnderTest())("reviewer identities and event ids over $name", ({ url }) => {
  let d: Deployment;
  const letters: Array<AirlockEvent<"airlock.dead_letter">> = [];
  beforeAll(async () => {
    d = await startDeployment({ brokerUrl: url });
    await d.transport.subscribe({
      group: `dead-letters-${newId().slice(0, 6)}`,
      topics: [TOPICS.deadLetter],
      handler: (event) => {
        if (event.type === "airlock.dead_letter") letters.push(event);
        return Promise.resolve();
      },
    });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it("counts a reviewer once whatever the case, spaces or Unicode form of their id", async () => {
    const call = escalation();
    const id = await open(d, call);
    const first = voteEvent(id, call.action_digest, "alice", "approve");
    const again = voteEvent(id, call.action_digest, " ALICE ", "approve", { signer: "alice" });
    await d.transport.publish(first);
    await handled(d, [first]);
    await d.transport.publish(again);
    await handled(d, [again]);
    expect(await refusals(d, id)).toEqual([{ reviewer: " ALICE ", reason: "duplicate_vote" }]);
    expect(eventsFor(d, "airlock.verdict.final", call.call_id)).toHaveLength(0);
  });

  it("refuses the requester's vote under another spelling of their id as self-approval", async () => {
    // The requester is Zoë with a decomposed ë; the pool lists her composed, in capitals.
    const call = escalation({ reviewers: ["alice", "ZO\u00cb", "carol"] }, { user: "zoe\u0308" });
    const id = await open(d, call);
    const vote = voteEvent(id, call.action_digest, "Zo\u00eb", "approve", { signer: "zo\u00eb" });
    await d.transport.publish(vote);
    await handled(d, [vote]);
    expect(await refusals(d, id)).toEqual([{ reviewer: "Zo\u00eb", reason: "self_approval" }]);
  });

  it("refuses a different event under an id it handled, as a dead-lettered conflict, and keeps the first", async () => {
    const call = escalation();
    const id = await open(d, call);
    const approve = voteEvent(id, call.action_digest, "bob", "approve");
    await d.transport.publish(approve);
    await handled(d, [approve]);
    const decoy: AirlockEvent<"airlock.vote.cast"> = { ...approve, data: { ...approve.data, verdict: "reject" } };
    await d.transport.publish(decoy);
    await waitFor(
      () => letters.some((letter) => letter.data.reason.includes(`event id ${approve.id}`)),
      "the conflicting copy to be dead-lettered",
    );
    const letter = letters.find((l) => l.data.reason.includes(`event id ${approve.id}`))!;
    expect(letter.data.reason).toMatch(/handled before with other content/);
    // A redelivery of the first, byte for byte, is still just a redelivery.
    await d.transport.publish(approve);
    const { rows } = await d.sql.query<{ reviewer: string; verdict: string }>(
      `select reviewer, verdict from approvals.votes where request_id = $1`,
      [id],
    );
    expect(rows).toEqual([{ reviewer: "bob", verdict: "approve" }]);
    expect(await refusals(d, id)).toEqual([]);
  });
});
