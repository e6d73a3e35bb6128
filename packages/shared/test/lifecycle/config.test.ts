import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/index.js";

describe("loadConfig", () => {
  it("defaults to the embedded broker and database", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      AIRLOCK_BROKER: "memory://",
      AIRLOCK_MODE: "interactive",
      AIRLOCK_URL: "http://127.0.0.1:7700",
      AIRLOCK_HTTP_PORT: 7700,
      AIRLOCK_CHECKPOINT_INTERVAL: 10_000,
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it("reads the real brokers and database", () => {
    const config = loadConfig({
      AIRLOCK_BROKER: "kafka://127.0.0.1:9092",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/airlock",
      AIRLOCK_MODE: "headless",
      AIRLOCK_HTTP_PORT: "8080",
      AIRLOCK_CHECKPOINT_INTERVAL: "1m",
    });
    expect(config.AIRLOCK_BROKER).toBe("kafka://127.0.0.1:9092");
    expect(config.AIRLOCK_HTTP_PORT).toBe(8080);
    expect(config.AIRLOCK_CHECKPOINT_INTERVAL).toBe(60_000);
  });

  it.each([
    [{ AIRLOCK_BROKER: "nats://x" }, /^AIRLOCK_BROKER: unsupported broker "nats:\/\/"/],
    [{ AIRLOCK_BROKER: "not a url" }, /^AIRLOCK_BROKER: "not a url" is not a URL/],
    [{ DATABASE_URL: "notaurl" }, /^DATABASE_URL: "notaurl" is not a database URL/],
    [{ AIRLOCK_MODE: "yolo" }, /^AIRLOCK_MODE: /],
    [{ AIRLOCK_HTTP_PORT: "99999" }, /^AIRLOCK_HTTP_PORT: /],
    [{ AIRLOCK_CHECKPOINT_INTERVAL: "soon" }, /^AIRLOCK_CHECKPOINT_INTERVAL: must be a duration/],
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL: /],
  ])("stops on %o with a line naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("names every bad variable, one per line, and hides a database password", () => {
    try {
      loadConfig({ AIRLOCK_BROKER: "nats://x", DATABASE_URL: "mysql://root:hunter2@db/x" });
      expect.unreachable();
    } catch (error) {
      const lines = (error as Error).message.split("\n");
      expect(lines).toHaveLength(2);
      expect((error as Error).message).not.toContain("hunter2");
    }
  });
});
