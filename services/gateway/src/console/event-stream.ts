import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { HttpError } from "@airlock/shared";
import type { ApprovalFeed } from "./approval-feed.js";

/** The live feed's path (server-sent events). */
export const APPROVAL_EVENTS_PATH = "/v1/events/approvals";

/** A page that reads slower than this many buffered bytes is cut off; it reconnects and reloads. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * How many streams may be open: each holds a socket, a listener and a timer for as long as its reader
 * likes, and the route needs no credentials, so both bounds are what stops one client from holding the
 * gateway's sockets. A console tab opens one; a reviewer with a few tabs stays well under the per-address bound.
 */
export const STREAM_LIMITS = { total: 256, perAddress: 8 } as const;

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
  const perAddress = new Map<string, number>();
  app.get(APPROVAL_EVENTS_PATH, (request, reply) => {
    const address = request.ip;
    if (open.size >= STREAM_LIMITS.total || (perAddress.get(address) ?? 0) >= STREAM_LIMITS.perAddress) {
      void reply.header("retry-after", "10");
      throw new HttpError(503, "too_many_streams", "too many event streams are open; try again later");
    }
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
      // A stream's connection is never reused: when the stream ends (the server closing, a slow reader cut
      // off) the socket goes too, instead of idling until the keep-alive timeout holds up a shutdown.
      connection: "close",
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
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    write(`event: ready\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
  });
  return {
    endAll: () => {
      for (const response of open) response.end();
    },
  };
}
