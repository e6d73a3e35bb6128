import { describe, expect, it } from "vitest";
import { canonicalize, createEvent } from "@airlock/shared";
import { ChainVerifier, type StoredEntry } from "../src/core/chain-verifier.js";
import { linkEntries, prepareEntry } from "../src/core/entry.js";
import { classify } from "../src/core/problem.js";
import { ZERO_HASH } from "@airlock/shared";

function events(n: number) {
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      type: "airlock.tool_call.cancelled",
      source: "agent/a",
      subject: `call-${i}`,
      id: `event-${i}`,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
      data: { call_id: `call-${i}`, agent_id: "a" },
    }),
  );
}

function chain(n: number): StoredEntry[] {
  const { rows } = linkEntries({ nextSeq: 0, hash: ZERO_HASH }, events(n).map(prepareEntry), new Map());
  return rows.map((row) => ({ ...row, event: row.text }));
}

/** Run the verifier; on the first fault, classify it with the same context the real verifier gathers. */
function firstProblem(entries: StoredEntry[]) {
  const verifier = new ChainVerifier();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const fault = verifier.check(entry);
    if (fault) {
      const linked = entries.find((e) => e.hash.equals(entry.prev_hash));
      return classify(fault, entry, {
        expectedSeq: verifier.size,
        expectedPrev: verifier.head,
        ...(entries[i + 1] ? { next: entries[i + 1] } : {}),
        ...(fault.fault === "link" ? { linkedSeq: linked ? linked.seq : null } : {}),
      });
    }
    verifier.accept(entry);
  }
  return undefined;
}

describe("linking entries", () => {
  it("chains from 32 zero bytes, skipping recorded ids and repeats", () => {
    const prepared = events(3).map(prepareEntry);
    const { rows, head } = linkEntries(
      { nextSeq: 0, hash: ZERO_HASH },
      [...prepared, prepared[1]!],
      new Map([["event-0", prepared[0]!.leaf_hash]]),
    );
    expect(rows.map((r) => [r.seq, r.event_id])).toEqual([
      [0, "event-1"],
      [1, "event-2"],
    ]);
    expect(rows[0]!.prev_hash.equals(ZERO_HASH)).toBe(true);
    expect(rows[1]!.prev_hash.equals(rows[0]!.hash)).toBe(true);
    expect(head).toEqual({ nextSeq: 2, hash: rows[1]!.hash });
  });
});

describe("the chain verifier's diagnosis", () => {
  it("passes an intact chain", () => {
    expect(firstProblem(chain(10))).toBeUndefined();
  });

  it("names an edit, including a non-canonical rewrite of the same JSON", () => {
    const edited = chain(6);
    edited[3] = { ...edited[3]!, event: edited[3]!.event.replace('"agent_id":"a"', '"agent_id":"b"') };
    expect(firstProblem(edited)).toMatchObject({ kind: "edited", seq: 3 });
    const spaced = chain(6);
    spaced[2] = { ...spaced[2]!, event: JSON.stringify(JSON.parse(spaced[2]!.event), null, 1) };
    expect(firstProblem(spaced)?.message).toMatch(/not RFC 8785 canonical/);
    const resubjected = chain(6);
    resubjected[4] = { ...resubjected[4]!, subject: "someone-else" };
    expect(firstProblem(resubjected)).toMatchObject({ kind: "edited", seq: 4 });
    expect(canonicalize(JSON.parse(chain(1)[0]!.event))).toBe(chain(1)[0]!.event);
  });

  it("names deletions: a gap, or a renumbered tail", () => {
    const gap = chain(8).filter((e) => e.seq !== 4);
    expect(firstProblem(gap)).toMatchObject({ kind: "deleted", seq: 4 });
    const renumbered = gap.map((e) => (e.seq > 4 ? { ...e, seq: e.seq - 1 } : e));
    expect(firstProblem(renumbered)).toMatchObject({ kind: "deleted", seq: 4 });
  });

  it("names swaps and insertions", () => {
    const swapped = chain(8);
    [swapped[2], swapped[3]] = [
      { ...swapped[3]!, seq: 2 },
      { ...swapped[2]!, seq: 3 },
    ];
    expect(firstProblem(swapped)).toMatchObject({ kind: "reordered", seq: 2 });
    const far = chain(8);
    [far[1], far[6]] = [
      { ...far[6]!, seq: 1 },
      { ...far[1]!, seq: 6 },
    ];
    expect(firstProblem(far)).toMatchObject({ kind: "reordered", seq: 1 });
    const junk = chain(8);
    const inserted = [
      ...junk.slice(0, 5),
      { ...junk[0]!, seq: 5, event_id: "x" },
      ...junk.slice(5).map((e) => ({ ...e, seq: e.seq + 1 })),
    ];
    expect(firstProblem(inserted)).toMatchObject({ kind: "inserted", seq: 5 });
  });
});
