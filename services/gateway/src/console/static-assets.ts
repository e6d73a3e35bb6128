import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { HttpError } from "@airlock/shared";

/** The console's files: services/gateway/console/, one level above src/ and dist/ alike. */
export const CONSOLE_ASSETS = new URL("../../console/", import.meta.url);

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

// The page loads only its own files and talks only to its own origin; nothing may frame it.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every servable file under `directory`, by its path relative to it (`js/main.js`), read once. */
async function loadAssets(directory: URL): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const names = await readdir(fileURLToPath(directory), { recursive: true });
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const path = name.split("\\").join("/");
    const body = await readFile(new URL(path, directory));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(path, { body, type, etag });
  }
  return assets;
}

function send(reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined): FastifyReply {
  // no-cache: revalidate every time (a 304 is cheap), so a new version is never hidden behind a cache.
  reply.headers({ ...SECURITY_HEADERS, etag: asset.etag, "cache-control": "no-cache" });
  if (ifNoneMatch === asset.etag) return reply.status(304).send();
  return reply.type(asset.type).send(asset.body);
}

/**
 * `GET /` (the console page) and `GET /console/<file>` (its scripts and styles), from memory. Only files
 * found at start are served: a request path is a key into that map, never a path on disk.
 */
export async function staticAssetRoutes(app: FastifyInstance, directory: URL = CONSOLE_ASSETS): Promise<void> {
  const assets = await loadAssets(directory);
  const index = assets.get("index.html");
  if (!index) throw new Error(`the console has no index.html in ${fileURLToPath(directory)}`);
  app.get("/", (request, reply) => send(reply, index, request.headers["if-none-match"]));
  app.get("/console/*", (request, reply) => {
    const path = (request.params as { "*": string })["*"];
    const asset = assets.get(path);
    if (!asset) throw new HttpError(404, "not_found", `no console file ${path}`);
    return send(reply, asset, request.headers["if-none-match"]);
  });
}
