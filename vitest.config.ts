import { defineConfig } from "vitest/config";

// Two projects: `unit` needs nothing but Node; `integration` talks to the real Postgres, RabbitMQ and Kafka.
// Integration test files end in `.int.test.ts`, or live in the root `test/` workspace.
const source = { conditions: ["source"] };
export default defineConfig({
  resolve: source,
  test: {
    // Two cores: a handful of files at once keeps the brokers responsive.
    maxWorkers: 3,
    minWorkers: 1,
    projects: [
      {
        resolve: source,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        resolve: source,
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.int.test.ts", "services/*/test/**/*.int.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
