import { describe, expect, it } from "vitest";
import { Coalescer } from "../src/verify/coalesce.js";

/** A task whose runs are counted and that finishes when told to. */
function gated(): { task: () => Promise<number>; runs: () => number; finish: () => void } {
  let runs = 0;
  let open: Array<() => void> = [];
  return {
    task: () => {
      runs++;
      const n = runs;
      return new Promise<number>((resolve) => open.push(() => resolve(n)));
    },
    runs: () => runs,
    finish: () => {
      const now = open;
      open = [];
      for (const resolve of now) resolve();
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("coalesced verification", () => {
  it("runs once for callers that arrive together", async () => {
    const c = new Coalescer<number>({ running: 2, waiting: 8 });
    const g = gated();
    const answers = Array.from({ length: 50 }, () => c.run("main", g.task)!);
    await tick();
    g.finish();
    expect(await Promise.all(answers)).toEqual(Array(50).fill(1));
    expect(g.runs()).toBe(1);
  });

  it("gives a caller that arrives during a run the next run, never the one that started before it", async () => {
    const c = new Coalescer<number>({ running: 2, waiting: 8 });
    const g = gated();
    const first = c.run("main", g.task)!;
    await tick();
    const later = [c.run("main", g.task)!, c.run("main", g.task)!];
    g.finish();
    expect(await first).toBe(1);
    await tick();
    g.finish();
    expect(await Promise.all(later)).toEqual([2, 2]);
    expect(g.runs()).toBe(2);
  });

  it("runs at most `running` tasks at once and answers busy past `waiting`", async () => {
    const c = new Coalescer<number>({ running: 1, waiting: 2 });
    const g = gated();
    const a = c.run("a", g.task)!;
    const b = c.run("b", g.task)!;
    expect(c.run("c", g.task)).toBeUndefined();
    await tick();
    expect(g.runs()).toBe(1);
    g.finish();
    await a;
    await tick();
    expect(g.runs()).toBe(2);
    g.finish();
    await b;
    expect(c.run("c", g.task)).toBeDefined();
  });
});
