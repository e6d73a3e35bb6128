import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Three projects: `unit` needs nothing but Node; `integration` talks to the real Postgres, RabbitMQ and Kafka
// (files ending in `.int.test.ts`, or in the root `test/` workspace); `disruptive` restarts a broker, so it
// runs on its own, after the others, one file at a time (`*.restart.int.test.ts`, run with --no-file-parallelism).
// Workspace packages resolve to their TypeScript sources (the "source" export condition), never to a
// stale dist/. Tests run in Vite's SSR environment, whose conditions are set under `ssr`.
const source = { conditions: ["source", ...defaultServerConditions] };
const ssr = { resolve: { conditions: ["source", ...defaultServerConditions] } };
const DISRUPTIVE = "**/*.restart.int.test.ts";
export default defineConfig({
  resolve: source,
  ssr,
  test: {
    // Two cores: a handful of files at once keeps the brokers responsive.
    maxWorkers: 3,
    minWorkers: 1,
    projects: [
      {
        resolve: source,
        ssr,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          // Some hooks start PGlite, a WebAssembly Postgres that runs initdb: 1-3 s on a quiet machine, past
          // vitest's 10 s default on a loaded two-core one (seen while fault runs shared the machine).
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: source,
        ssr,
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.int.test.ts", "services/*/test/**/*.int.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", DISRUPTIVE],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: source,
        ssr,
        test: {
          name: "disruptive",
          include: [DISRUPTIVE],
          // The broker-restart fault runs (RabbitMQ, and a private Kafka broker) are part of npm test: the
          // approvals crash that kept the RabbitMQ one out is diagnosed — a pg client left without an 'error'
          // listener as it passes from a query to a waiting transaction (RELIABILITY.md, "What the runs
          // found"; pinned in test/faults/pg-session-loss.int.test.ts).
          exclude: ["**/node_modules/**"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
