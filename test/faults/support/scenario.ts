import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settleAndCheck } from "../../../bench/soak/invariants.js";
import { seededRandom } from "../../../bench/soak/policy.js";
import { startProcessStack, type ProcessStack } from "../../../bench/soak/stack.js";
import { Workload } from "../../../bench/soak/workload.js";
import { SERVICES } from "../../../bench/soak/processes.js";
import { FaultInjector, LONG, SEED, SKIP } from "./faults.js";
import { writeFigures } from "./results.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The brokers fault runs use. */
export const FAULT_BROKERS = {
  amqp: process.env["AIRLOCK_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672",
  kafka: process.env["AIRLOCK_TEST_KAFKA_URL"] ?? "kafka://127.0.0.1:9092",
} as const;

/** How long the long run's traffic lasts: AIRLOCK_FAULTS_DURATION seconds, default 300. */
export const LONG_DURATION_MS = Number(process.env["AIRLOCK_FAULTS_DURATION"] ?? 300) * 1000;

/** What a fault run injects, given the injector and the stack; it returns when the faults are over. */
export type FaultSchedule = (faults: FaultInjector, stack: ProcessStack) => Promise<void>;

/** Options of {@link describeFaultRun}. */
export interface FaultRunOptions {
  /** The results file's name: `test/faults/results/<name>-<broker>.json`. */
  name: string;
  broker: keyof typeof FAULT_BROKERS;
  title: string;
  schedule: FaultSchedule;
  /** The test's own time limit, in ms. */
  timeoutMs: number;
  /**
   * Start the run's own broker before the stack and resolve with its URL (a private broker the run may
   * restart); default: the shared broker of {@link FAULT_BROKERS}.
   */
  startBroker?: () => Promise<string>;
  /** After the run, before the stack stops (e.g. make sure a restarted broker is up again). */
  afterAll?: () => Promise<void>;
  /** After the stack and the workload have stopped: stop the broker {@link startBroker} started. */
  stopBroker?: () => Promise<void>;
}

/**
 * One fault run: a stack of separate processes on a real broker, a steady stream of calls and votes, the
 * faults of `schedule` at random moments, then every promise checked and the figures written.
 */
export function describeFaultRun(options: FaultRunOptions): void {
  const title = `${options.title} on ${options.broker}`;
  describe(title, () => {
    let stack: ProcessStack | undefined;
    let workload: Workload | undefined;
    const random = seededRandom(SEED);

    beforeAll(async () => {
      const broker = options.startBroker ? await options.startBroker() : FAULT_BROKERS[options.broker];
      stack = await startProcessStack({ broker });
      const gateway = stack;
      workload = await Workload.connect({
        broker,
        namespace: stack.namespace,
        gateway: () => gateway.url,
        reviewers: stack.reviewers,
        ratePerSecond: LONG ? 15 : 10,
        concurrency: 300,
        checkTimeoutMs: 30_000,
        random,
      });
    }, 240_000);

    afterAll(async () => {
      try {
        await options.afterAll?.();
      } finally {
        try {
          await workload?.close();
          await stack?.stop();
        } finally {
          await options.stopBroker?.();
        }
      }
    }, 120_000);

    it(
      "loses nothing, decides every call once and allows nothing by accident",
      async () => {
        const s = stack!;
        const w = workload!;
        const faults = new FaultInjector(s, w, random);
        const started = Date.now();
        w.run();
        await options.schedule(faults, s);
        // As a supervisor would: a service that died by itself is started again, so that the checks below
        // tell what its crash cost (nothing, if every promise holds) — the crash itself still fails the test.
        for (const name of SERVICES) if (!s.processes.isRunning(name)) await s.processes.start(name);
        await w.stop();
        const report = await settleAndCheck({ url: s.url, sql: s.sql, workload: w }).catch(async (error: unknown) => {
          await writeFigures("faults", `${options.name}-${options.broker}`, {
            ...replay(options, started),
            error: String(error),
            crashes: s.processes.crashes(),
            faults: faults.injected,
            output_tail: tails(s),
          });
          throw error;
        });
        const crashes = s.processes.crashes();
        const failed = report.violations.length > 0 || crashes.length > 0;
        await writeFigures("faults", `${options.name}-${options.broker}`, {
          ...replay(options, started),
          faults_injected: faults.injected.length,
          faults: faults.injected,
          ...report.figures,
          service_crashes: crashes.length,
          violations: report.violations,
          ...(failed ? { output_tail: tails(s) } : {}),
        });
        expect(crashes, "service processes that exited by themselves").toEqual([]);
        expect(report.violations).toEqual([]);
        expect(report.figures.events_lost).toBe(0);
        expect(report.figures.duplicate_verdicts_seen_by_agents).toBe(0);
        expect(report.figures.allowed_by_accident).toBe(0);
        expect(report.figures.verify_ok).toBe(true);
        // Fail-closed: every call made while its decider was down was denied by its own agent.
        expect(faults.probes.length).toBeGreaterThan(0);
        for (const probe of faults.probes) {
          expect(probe.verdict, `probe ${probe.call_id}`).toMatchObject({ allowed: false, decided_by: "client" });
        }
        expect(report.figures.calls).toBeGreaterThan(20);
      },
      options.timeoutMs,
    );
  });
}

/**
 * What a replay needs, kept in every results file, passed or failed: the seed of the schedule, the fault
 * kinds left out, how long the run took, and the one command that runs it again under the same load.
 */
function replay(options: FaultRunOptions, started: number): Record<string, unknown> {
  const file = path.relative(repoRoot, expect.getState().testPath ?? "");
  const load = Number(process.env["AIRLOCK_FAULTS_LOAD"] ?? 0);
  return {
    broker: options.broker,
    seed: SEED,
    skipped: [...SKIP],
    duration_s: Math.round((Date.now() - started) / 1000),
    replay: `npm run test:faults:repeat -- --files=${file} --seed=${SEED} --load=${load} --runs=1${LONG ? " --long" : ""}${SKIP.size > 0 ? ` --skip=${[...SKIP].join(",")}` : ""}`,
  };
}

/** The last lines each service wrote, for the results file of a failed run. */
function tails(stack: ProcessStack): Record<string, string[]> {
  return Object.fromEntries(SERVICES.map((name) => [name, stack.processes.output(name).split("\n").slice(-60)]));
}
