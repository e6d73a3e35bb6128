import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyPluginAsync,
} from "fastify";
import { AirlockError } from "../errors.js";
import type { Logger } from "../lifecycle/logger.js";
import { HttpError, errorBody } from "./errors.js";
import type { AirlockMetrics } from "./metrics.js";

/** Request bodies above this are refused with 413 before they are parsed (an event is bounded at 256 KiB). */
export const HTTP_BODY_LIMIT = 512 * 1024;

/** One readiness check: resolves when the dependency answers, throws (or resolves false) when it does not. */
export type ReadinessCheck = () => Promise<boolean | void>;

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  logger: Logger;
  metrics: AirlockMetrics;
  /** Named checks behind /readyz, e.g. `{ broker: …, database: … }`. */
  readiness?: Record<string, ReadinessCheck>;
  /** Route plugins to mount (a service's read API, the gateway's routes). */
  routes?: FastifyPluginAsync[];
  bodyLimit?: number;
}

/**
 * A fastify server with Airlock's conventions: JSON errors `{ error: { code, message, details? } }` for
 * everything (validation, 404, oversize bodies, faults), `/healthz`, `/readyz` and `/metrics`.
 * Not yet listening: call `listen({ host, port })`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const log = options.logger.child({ module: "http" });
  // Typed as the base logger so the instance is a plain FastifyInstance (pino's Logger type would leak
  // into fastify's generics and every route plugin's signature).
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? HTTP_BODY_LIMIT,
    // Ids are 22 characters (newId); a longer path segment is refused rather than looked up.
    routerOptions: { maxParamLength: 500 },
    // Errors fastify raises before any route runs (a broken percent-escape, invalid UTF-8 in the URL) do
    // not reach setErrorHandler: answer them in Airlock's shape too.
    frameworkErrors: (error, _request, reply) => {
      // fastify types this reply with the route generics of no route at all; it is a plain reply.
      void (reply as unknown as FastifyReply)
        .code(400)
        .header("content-type", "application/json; charset=utf-8")
        .send(errorBody("bad_request", error.message));
    },
  });

  // JSON bodies must be UTF-8, as on the broker: fastify's own parser would swap bad bytes for U+FFFD and
  // take a call the agent never sent.
  app.removeContentTypeParser("application/json");
  // fastify's own JSON parser, which refuses __proto__ and constructor.prototype keys.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body: Buffer, done) => {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(body);
    } catch {
      done(Object.assign(new Error("the body is not UTF-8"), { statusCode: 400, code: "bad_encoding" }), undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  // Postgres text cannot hold NUL: an id or filter with one is the client's mistake, not a 500.
  app.addHook("onRequest", async (request, reply) => {
    if (/%00/i.test(request.url)) {
      await reply.status(400).send(errorBody("bad_request", "the URL holds a NUL character"));
    }
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) {
      return reply.status(error.status).send(errorBody(error.code, error.message, error.details));
    }
    if (error instanceof AirlockError && error.code === "payload_too_large") {
      return reply.status(413).send(errorBody(error.code, error.message));
    }
    // fastify's own client errors (bad JSON, body too large, wrong content type) carry a 4xx statusCode.
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      const raw = (error as { code?: unknown }).code;
      const code = typeof raw === "string" ? raw.toLowerCase() : "bad_request";
      return reply.status(status).send(errorBody(code, (error as Error).message));
    }
    request.log.error({ err: error, url: request.url }, "request failed");
    return reply.status(500).send(errorBody("internal", "internal error"));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody("not_found", `no route for ${request.method} ${request.url.split("?")[0]}`)),
  );

  app.get("/healthz", () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const checks = Object.entries(options.readiness ?? {});
    const results = await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          return [name, (await check()) !== false] as const;
        } catch (error) {
          log.warn({ err: error, check: name }, "readiness check failed");
          return [name, false] as const;
        }
      }),
    );
    const ready = results.every(([, ok]) => ok);
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) });
  });
  app.get("/metrics", async (_request, reply) =>
    reply.header("content-type", options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );

  for (const routes of options.routes ?? []) await app.register(routes);
  return app;
}
