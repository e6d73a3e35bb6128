import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { ApprovalFeed } from "./approval-feed.js";

/** The live feed's path (server-sent events). */
export const APPROVAL_EVENTS_PATH = "/v1/events/approvals";

/** A page that reads slower than this many buffered bytes is cut off; it reconnects and reloads. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The open event streams, so a closing server can end them (they never end by themselves). */
export interface EventStreams {
  endAll(): void;
}

/**
 * `GET /v1/events/approvals`: a text/event-stream of `approval` events (an {@link ApprovalChange} as
 * JSON), after a first `ready` event sent once this stream is listening: a page loads the list when it
 * sees `ready`, so no change falls between its snapshot and the stream. A comment line every
 * `heartbeatMs` keeps proxies from closing an idle stream.
 */
export function eventStreamRoute(app: FastifyInstance, feed: ApprovalFeed, heartbeatMs: number): EventStreams {
  const open = new Set<ServerResponse>();
  app.get(APPROVAL_EVENTS_PATH, (request, reply) => {
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    });
    const write = (text: string): void => {
      if (response.writableLength > MAX_BUFFERED_BYTES) {
        request.log.warn({ url: request.url }, "event stream reader too slow; closing it");
        response.end();
        return;
      }
      response.write(text);
    };
    // `retry`: how long EventSource waits before reconnecting after the stream drops.
    write("retry: 2000\n\n");
    const stop = feed.listen((change) => write(`event: approval\ndata: ${JSON.stringify(change)}\n\n`));
    const heartbeat = setInterval(() => write(": keep-alive\n\n"), heartbeatMs);
    heartbeat.unref();
    open.add(response);
    response.once("close", () => {
      clearInterval(heartbeat);
      stop();
      open.delete(response);
    });
    write(`event: ready\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
  });
  return {
    endAll: () => {
      for (const response of open) response.end();
    },
  };
}
