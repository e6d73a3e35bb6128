import type { FastifyPluginAsync } from "fastify";
import { once, type RunningService, type ServiceDeps } from "@airlock/shared";
import { toolCallRoutes, type CallLookup } from "./routes/tool-calls.js";
import { startVerdictFeed } from "./verdicts.js";

/** A running gateway: its routes, to mount on an HTTP server. */
export interface RunningGateway extends RunningService {
  routes: FastifyPluginAsync[];
}

/**
 * Start the HTTP edge's moving part — one verdict subscription — and return its routes. `lookup` reads a
 * call's decision and verdict from the stores (the audit log, in every deployment).
 */
export async function startGateway(deps: ServiceDeps & { lookup?: CallLookup }): Promise<RunningGateway> {
  const feed = await startVerdictFeed(deps.transport);
  const lookup: CallLookup = deps.lookup ?? (() => Promise.resolve(undefined));
  return {
    name: "gateway",
    routes: [toolCallRoutes({ transport: deps.transport, waiter: feed.waiter, lookup })],
    stop: once(() => feed.close()),
  };
}
