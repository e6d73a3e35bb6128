import type { FastifyPluginAsync } from "fastify";
import { once, type RunningService, type ServiceDeps } from "@airlock/shared";
import { auditCallLookup } from "./call-status.js";
import { consoleRoutes } from "./console/index.js";
import { toolCallRoutes, type CallLookup } from "./routes/tool-calls.js";
import { startVerdictFeed } from "./verdicts.js";

/** A running gateway: its routes, to mount on an HTTP server. */
export interface RunningGateway extends RunningService {
  routes: FastifyPluginAsync[];
}

/**
 * Start the HTTP edge's moving part — one verdict subscription — and return its routes. `lookup` reads a
 * call's decision and verdict (default: from the audit log).
 */
export async function startGateway(deps: ServiceDeps & { lookup?: CallLookup }): Promise<RunningGateway> {
  const feed = await startVerdictFeed(deps.transport);
  const lookup: CallLookup = deps.lookup ?? auditCallLookup(deps.sql);
  return {
    name: "gateway",
    routes: [
      toolCallRoutes({ transport: deps.transport, waiter: feed.waiter, lookup }),
      consoleRoutes({ transport: deps.transport, logger: deps.logger }),
    ],
    stop: once(() => feed.close()),
  };
}
