import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_TOPICS, TOPICS, type Subscription } from "@airlock/shared";
import { waitFor } from "@airlock/shared/testing";
import { readAuditLog } from "../../../bench/soak/audit-log.js";
import { writeFigures } from "../../faults/support/results.js";
import { DeadLetterWatch, expectStillSound, seedAndRecord, type Baseline, type HostileTarget } from "./stacks.js";
import { Tally } from "./tally.js";
import { marker, TOPIC_CASES, type TopicCase } from "./topic-cases.js";

/** The consumer groups that read each topic in a running Airlock, plus this suite's own two watchers. */
const CONSUMERS: Record<string, readonly string[]> = {
  [TOPICS.toolCalls]: ["policy", "approvals", "audit"],
  [TOPICS.decisions]: ["approvals", "audit"],
  [TOPICS.approvals]: ["audit"],
  [TOPICS.votes]: ["approvals", "audit"],
  [TOPICS.verdicts]: ["audit", "gateway-verdicts-"],
  // Nothing in Airlock reads its own checkpoints back: an auditor tool does (this suite's).
  [TOPICS.audit]: ["hostile-auditor"],
  [TOPICS.deadLetter]: ["audit", "hostile-dead-letters"],
};

interface Sent {
  topic: string;
  testCase: TopicCase;
  marker: string;
  raw: string;
}

/**
 * Every hostile message of TOPIC_CASES published raw on every topic of a running Airlock: each is
 * dead-lettered, with a reason, by every consumer group that reads the topic (or, for a valid message a
 * service cannot act on, dead-lettered or decided); then no service has crashed, the log verifies and
 * kept what it had, the seeded approvals are unchanged, and good calls are still decided.
 */
export function describeTopicSuite(kind: HostileTarget["kind"], start: () => Promise<HostileTarget>): void {
  describe(`hostile messages on every topic (${kind})`, () => {
    let target: HostileTarget;
    let letters: DeadLetterWatch;
    let auditor: Subscription;
    let before: Baseline;
    const tally = new Tally();

    beforeAll(async () => {
      target = await start();
      letters = await DeadLetterWatch.start(target.transport);
      auditor = await target.transport.subscribe({
        group: "hostile-auditor",
        topics: [TOPICS.audit],
        handler: () => Promise.resolve(),
      });
      before = await seedAndRecord(target);
    }, 240_000);

    afterAll(async () => {
      await writeFigures("hostile", `topics-${kind}`, { broker: kind, ...tally.figures() });
      await auditor?.close();
      await letters?.close();
      await target?.stop();
    }, 120_000);

    it("dead-letters every malformed message with its reason, by every consumer of its topic", async () => {
      const sent: Sent[] = [];
      for (const topic of ALL_TOPICS) {
        for (const testCase of TOPIC_CASES) {
          if (testCase.topics && !testCase.topics.includes(topic)) continue;
          const m = marker();
          const payload = testCase.payload(m, topic);
          await target.transport.publishRaw(topic, "hostile", payload);
          sent.push({ topic, testCase, marker: m, raw: Buffer.isBuffer(payload) ? payload.toString("utf8") : payload });
        }
      }
      const lettersOf = (s: Sent) =>
        letters.letters.filter(
          (letter) =>
            letter.data.topic === s.topic &&
            (s.testCase.marked ? letter.data.raw.includes(s.marker) : letter.data.raw === s.raw),
        );
      const refusers = (s: Sent): readonly string[] =>
        s.testCase.refusers === "every consumer" ? CONSUMERS[s.topic]! : s.testCase.refusers;
      const missing = (s: Sent): string[] =>
        refusers(s).filter((group) => !lettersOf(s).some((letter) => letter.data.consumer.startsWith(group)));
      const strict = sent.filter((s) => !s.testCase.decidedOrDeadLettered);
      await waitFor(() => strict.every((s) => missing(s).length === 0), "every expected dead letter", 90_000).catch(
        () => undefined,
      );
      for (const s of strict)
        tally.record(s.testCase.category, missing(s).length === 0 ? "dead_lettered" : "mishandled");
      const absent = strict
        .filter((s) => missing(s).length > 0)
        .map(
          (s) =>
            `${s.topic}: ${s.testCase.category}: ${s.testCase.name} — no dead letter from ${missing(s).join(", ")}`,
        );
      for (const s of strict) {
        for (const letter of lettersOf(s)) expect(letter.data.reason, `${s.testCase.name} on ${s.topic}`).not.toBe("");
      }

      // A valid message that no service can act on is dead-lettered or acted on — never left to block.
      const handled = async (s: Sent): Promise<"dead_lettered" | "accepted" | undefined> => {
        // Dead-lettered by a consumer of its topic, or later — by a relay the broker refused its outcome to.
        if (letters.naming(s.marker).length > 0) return "dead_lettered";
        const log = await readAuditLog(target.url(), "");
        const acted = log.some(
          (e) =>
            (e.type === "airlock.policy.decided" || e.type === "airlock.vote.refused") &&
            JSON.stringify(e.event.data).includes(s.marker),
        );
        return acted ? "accepted" : undefined;
      };
      for (const s of sent.filter((x) => x.testCase.decidedOrDeadLettered)) {
        let outcome: "dead_lettered" | "accepted" | undefined;
        await waitFor(async () => (outcome = await handled(s)) !== undefined, "", 60_000).catch(() => undefined);
        tally.record(s.testCase.category, outcome ?? "mishandled");
        if (!outcome) absent.push(`${s.topic}: ${s.testCase.name} — neither dead-lettered nor acted on in 60 s`);
      }
      expect(absent).toEqual([]);
    }, 240_000);

    it("leaves every service running, the log intact, the approvals unchanged, and good calls decided", async () => {
      await expectStillSound(target, before);
    }, 120_000);
  });
}
