import { z } from "zod";
import { ConfigError } from "../errors.js";
import { parseBrokerUrl } from "../transport/connect.js";
import { parseDuration } from "./duration.js";

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((text) => parseDuration(text) !== undefined, "must be a duration such as 500ms, 30s, 15m, 1h")
    .transform((text) => parseDuration(text)!);

const brokerUrl = z.string().superRefine((url, ctx) => {
  try {
    parseBrokerUrl(url);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^AIRLOCK_BROKER: /, "") });
  }
});

const databaseUrl = z
  .string()
  .optional()
  .superRefine((url, ctx) => {
    if (url === undefined) return;
    const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
    if (scheme !== "postgres" && scheme !== "postgresql" && scheme !== "pglite") {
      ctx.addIssue({
        code: "custom",
        message: `"${url.replace(/:[^:@/]*@/, ":***@")}" is not a database URL; use postgres://user:pass@host:5432/db, or leave it unset for the embedded database`,
      });
    }
  });

/**
 * Airlock's configuration, read from the environment once, in main (never at import time).
 * Every variable of DESIGN.md's "Configuration", plus the knobs a deployment needs.
 */
export const ConfigSchema = z.object({
  AIRLOCK_BROKER: brokerUrl.default("memory://"),
  DATABASE_URL: databaseUrl,
  AIRLOCK_DATA_DIR: z.string().min(1).default("./.airlock"),
  AIRLOCK_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, "must be 1-40 letters, digits, _ or -")
    .optional(),
  AIRLOCK_POLICY: z.string().min(1).optional(),
  AIRLOCK_REVIEWERS: z.string().min(1).optional(),
  AIRLOCK_KEYS: z.string().min(1).optional(),
  AIRLOCK_URL: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .default("http://127.0.0.1:7700"),
  AIRLOCK_MODE: z.enum(["interactive", "headless"]).default("interactive"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  AIRLOCK_HTTP_PORT: port(7700),
  AIRLOCK_POLICY_PORT: port(7701),
  AIRLOCK_APPROVALS_PORT: port(7702),
  AIRLOCK_AUDIT_PORT: port(7703),
  AIRLOCK_HTTP_HOST: z.string().min(1).default("127.0.0.1"),
  AIRLOCK_CHECKPOINT_EVERY: z.coerce.number().int().min(1).default(1000),
  AIRLOCK_CHECKPOINT_INTERVAL: duration("10s"),
  AIRLOCK_SHUTDOWN_TIMEOUT: duration("15s"),
  /** Comma-separated webhook URLs told when an approval opens (Slack-compatible and generic JSON bodies). */
  AIRLOCK_WEBHOOKS: z
    .string()
    .optional()
    .transform((text) =>
      (text ?? "")
        .split(",")
        .map((url) => url.trim())
        .filter((url) => url.length > 0),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: "must be a comma-separated list of http(s) URLs" }))),
  /** Key of the HMAC-SHA256 signature each webhook request carries (header X-Airlock-Signature). */
  AIRLOCK_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

/**
 * Read and validate the configuration. A bad value throws a ConfigError whose message is one line per
 * bad variable, each naming it: `AIRLOCK_BROKER: unsupported broker "nats://" …`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means unset, as in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = ConfigSchema.safeParse(present);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(lines.join("\n"));
}

/** Where the local reviewer's private keys live: AIRLOCK_KEYS, else `<AIRLOCK_DATA_DIR>/keys` (where `airlock start` puts the demo keys). */
export function reviewerKeysDir(config: Pick<Config, "AIRLOCK_KEYS" | "AIRLOCK_DATA_DIR">): string {
  return config.AIRLOCK_KEYS ?? `${config.AIRLOCK_DATA_DIR.replace(/\/+$/, "")}/keys`;
}
