import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactUrl } from "../../src/index.js";

describe("logger", () => {
  it("redacts secrets by default and the paths it is given", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ destination, redact: ["vote.comment"] });
    log.info({ reviewer: { private_key: "PRIVATE" }, vote: { signature: "SIG", comment: "secret note" } }, "hello");
    const line = JSON.parse(lines[0]!) as { reviewer: Record<string, unknown>; vote: Record<string, unknown> };
    expect(line.reviewer.private_key).toBe("[redacted]");
    expect(line.vote.signature).toBe("[redacted]");
    expect(line.vote.comment).toBe("[redacted]");
  });

  it("hides a URL's password", () => {
    expect(redactUrl("amqp://guest:guest@127.0.0.1:5672")).toBe("amqp://guest:***@127.0.0.1:5672");
  });
});
