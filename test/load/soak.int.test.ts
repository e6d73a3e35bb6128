import { describe, expect, it } from "vitest";
import { runSoak } from "../../bench/soak/run.js";
import { SERVICES } from "../../bench/soak/processes.js";
import { writeFigures } from "../faults/support/results.js";

// The soak (bench/soak/run.ts) as a test: short by default, AIRLOCK_SOAK_DURATION seconds when set
// (`AIRLOCK_SOAK_DURATION=300 npx vitest run test/load`), on AIRLOCK_SOAK_BROKER (default RabbitMQ).
const DURATION_S = Number(process.env["AIRLOCK_SOAK_DURATION"] ?? 12);
/** Memory growth allowed between the first and last third of the run: a short run still warms up. */
const GROWTH_LIMIT = DURATION_S >= 120 ? 0.15 : 0.5;

describe("soak", () => {
  it(
    "sustains the load with memory flat, latencies recorded, no consumer stuck, outboxes and dead letters drained",
    async () => {
      const { figures } = await runSoak({ durationMs: DURATION_S * 1000, concurrency: 32 });
      await writeFigures("load", `soak-${figures.broker}`, { ...figures });
      expect(figures.violations).toEqual([]);
      expect(figures.checks.events_lost).toBe(0);
      expect(figures.checks.duplicate_verdicts_seen_by_agents).toBe(0);
      expect(figures.checks.dead_letters).toBe(0);
      expect(figures.checks.outbox_rows_left).toBe(0);
      // No agent gave up waiting: every consumer kept up.
      expect(figures.checks.client_timeouts).toBe(0);
      expect(figures.checks.verify_ok).toBe(true);
      expect(figures.calls_per_second).toBeGreaterThan(0);
      for (const path of ["policy", "approval"] as const) {
        expect(figures.latency_ms[path].n).toBeGreaterThan(0);
        expect(Number.isFinite(figures.latency_ms[path].p99)).toBe(true);
      }
      for (const service of SERVICES) {
        expect(figures.memory[service].samples, service).toBeGreaterThanOrEqual(3);
        expect(figures.memory[service].growth, `${service} RSS growth`).toBeLessThan(GROWTH_LIMIT);
      }
    },
    DURATION_S * 1000 + 240_000,
  );
});
