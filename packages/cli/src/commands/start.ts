import { parseArgs } from "node:util";
import { createLogger, loadConfig, onShutdown } from "@airlock/shared";
import { prepareEmbedded } from "../runtime/embedded.js";
import { runAirlock } from "../runtime/run.js";
import { SERVICE_NAMES, type ServiceName } from "../runtime/services.js";
import type { Command } from "./index.js";

/** `airlock start [--only SERVICE]`: every service in one process, or one service alone. */
export const start: Command = {
  summary: "run Airlock: every service in one process, or --only policy|approvals|audit|gateway",
  async run(args) {
    const { values } = parseArgs({ args, options: { only: { type: "string" } }, allowPositionals: false });
    const only = values.only;
    if (only !== undefined && !(SERVICE_NAMES as readonly string[]).includes(only)) {
      process.stderr.write(`airlock start: --only must be one of ${SERVICE_NAMES.join(", ")}\n`);
      return 2;
    }
    // Read the environment once, here; a bad value stops the process with one line naming it.
    const config = loadConfig(process.env);
    const logger = createLogger({ level: config.LOG_LEVEL });
    // All in one process with nothing configured: the example policy and demo reviewers under AIRLOCK_DATA_DIR.
    const embedded = only ? {} : await prepareEmbedded(config, logger);
    const running = await runAirlock({ config, logger, ...(only ? { only: only as ServiceName } : {}), ...embedded });
    onShutdown(() => running.stop(), { logger, deadlineMs: config.AIRLOCK_SHUTDOWN_TIMEOUT });
    if (!only) process.stdout.write(banner(running.url));
    // The process now lives on its servers and consumers until a signal stops it.
    return new Promise<number>(() => undefined);
  },
};

function banner(url: string): string {
  // The calls of the README's walkthrough, against the example policy (examples/policies/finance.yaml).
  return [
    "",
    `Airlock is running at ${url}`,
    "",
    "Try, in another terminal:",
    `  npx airlock call reports.quarterly --agent finance-bot --args '{"quarter":"Q3"}'`,
    `  npx airlock call delete_database --agent finance-bot --args '{"name":"prod"}'`,
    `  npx airlock call payments.transfer --agent finance-bot --user dave@corp.example --env production --args '{"amount":5000,"to":"ACME"}' --wait 10m`,
    `  npx airlock approvals list                      # in a third terminal, then:`,
    `  npx airlock approve <ID> --as alice@corp.example && npx airlock approve <ID> --as bob@corp.example`,
    `  npx airlock audit verify --server`,
    "",
  ].join("\n");
}
