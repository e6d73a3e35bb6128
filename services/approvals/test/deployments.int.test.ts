import { describe, expect, it } from "vitest";
import {
  brokersUnderTest,
  escalation,
  handled,
  onlyVerdict,
  open,
  refusals,
  startDeployment,
  voteEvent,
} from "./support/index.js";

// Deployments of their own: headless mode, and two instances racing on one database and consumer group.

describe.each(brokersUnderTest())("approvals deployments over $name", ({ url }) => {
  it("resolves every escalation at once to on_timeout in headless mode", async () => {
    const d = await startDeployment({ brokerUrl: url, mode: "headless" });
    try {
      const deny = escalation();
      const allow = escalation({ on_timeout: "allow" });
      const [denyId, allowId] = [await open(d, deny), await open(d, allow)];
      expect(await onlyVerdict(d, deny, denyId)).toMatchObject({
        allowed: false,
        outcome: "expired",
        decided_by: "timeout",
      });
      expect(await onlyVerdict(d, allow, allowId)).toMatchObject({
        allowed: true,
        outcome: "expired",
        decided_by: "timeout",
      });
    } finally {
      await d.stop();
    }
  });

  it("gives one resolution and one verdict when approvals race on two instances", async () => {
    const d = await startDeployment({ brokerUrl: url, instances: 2 });
    try {
      // 1-of-3 with two approvals: the first decides, the second must be refused. 2-of-3 with three:
      // the second decides — only if it saw the first, committed while it waited for the row lock.
      const races = [
        ...Array.from({ length: 4 }, () => ({ call: escalation({ quorum: 1 }), voters: ["alice", "bob"] })),
        ...Array.from({ length: 4 }, () => ({ call: escalation({ quorum: 2 }), voters: ["alice", "bob", "carol"] })),
      ];
      const ids = await Promise.all(races.map(({ call }) => open(d, call)));
      // Keyed by vote id rather than request id, so the votes of one request go to both instances at the
      // same moment and meet only at the request's row lock.
      const votes = races.flatMap(({ call, voters }, i) =>
        voters.map((person) => voteEvent(ids[i]!, call.action_digest, person, "approve")),
      );
      await Promise.all(votes.map((vote) => d.transport.publish(vote, { key: vote.data.vote_id })));
      await handled(d, votes);
      for (const [i, { call, voters }] of races.entries()) {
        const quorum = voters.length - 1;
        const final = await onlyVerdict(d, call, ids[i]!);
        expect(final).toMatchObject({ allowed: true, outcome: "approved" });
        const { rows } = await d.sql.query(`select reviewer from approvals.votes where request_id = $1`, [ids[i]]);
        expect(rows).toHaveLength(quorum);
        expect((await refusals(d, ids[i]!)).map((r) => r.reason)).toEqual(["already_resolved"]);
      }
      // Both instances took part.
      const handledBy = await Promise.all(
        d.metrics.map(async (m) => (await m.eventsIn.get()).values.reduce((n, v) => n + v.value, 0)),
      );
      expect(handledBy.every((n) => n > 0)).toBe(true);
    } finally {
      await d.stop();
    }
  });
});
