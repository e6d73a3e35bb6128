import type { FastifyPluginAsync } from "fastify";
import { TOPICS, newId, type Logger, type Transport } from "@airlock/shared";
import { ApprovalFeed, type ApprovalReader } from "./approval-feed.js";
import { eventStreamRoute } from "./event-stream.js";
import { staticAssetRoutes } from "./static-assets.js";

export { ApprovalFeed, type ApprovalChange, type ApprovalReader, type ChangeListener } from "./approval-feed.js";
export { APPROVAL_EVENTS_PATH, STREAM_LIMITS } from "./event-stream.js";
export { CONSOLE_ASSETS } from "./static-assets.js";

/** What the console's routes need. */
export interface ConsoleDeps {
  transport: Transport;
  logger: Logger;
  /** Reads a request for the live feed; default: GET /v1/approvals/:id on this same server (in-process). */
  read?: ApprovalReader;
  /** The console's files; default services/gateway/console/. */
  assets?: URL;
  /** Keep-alive comment interval of the event stream. Default 15 s. */
  heartbeatMs?: number;
}

/**
 * The reviewer console, served at `/`: a page (plain ES modules, no build step) that lists pending
 * approvals live, signs votes in the browser with the reviewer's Ed25519 key (the server never sees
 * it), and shows resolved requests, their audit trail and the audit chain's status. Serves the page, its
 * files, and the live feed `GET /v1/events/approvals` (server-sent events), which one ephemeral
 * subscription per server to `airlock.approvals` and `airlock.votes` drives. The page reads and votes
 * through the approvals and audit routes, which must be mounted on the same server.
 */
export function consoleRoutes(deps: ConsoleDeps): FastifyPluginAsync {
  return async (app) => {
    const log = deps.logger.child({ module: "console" });
    const read: ApprovalReader =
      deps.read ??
      (async (id) => {
        const response = await app.inject({ method: "GET", url: `/v1/approvals/${encodeURIComponent(id)}` });
        if (response.statusCode === 404) return null;
        if (response.statusCode !== 200) throw new Error(`GET /v1/approvals/${id} answered ${response.statusCode}`);
        return response.json<unknown>();
      });
    const feed = new ApprovalFeed(read, log);
    await staticAssetRoutes(app, deps.assets);
    const streams = eventStreamRoute(app, feed, deps.heartbeatMs ?? 15_000);
    const subscription = await deps.transport.subscribe({
      group: `gateway-console-${newId()}`,
      topics: [TOPICS.approvals, TOPICS.votes],
      ephemeral: true,
      handler: (event) => {
        feed.accept(event);
        return Promise.resolve();
      },
    });
    // Event streams never end on their own, and a server waits for open requests before it closes.
    app.addHook("preClose", (done) => {
      streams.endAll();
      done();
    });
    app.addHook("onClose", async () => {
      await subscription.close();
      await feed.close();
    });
  };
}
