import { parseArgs } from "node:util";
import { connectHttp } from "@airlock/client";
import { loadConfig } from "@airlock/shared";
import type { Command } from "./index.js";

/** `airlock call TOOL --agent A [--user U] [--env E] [--args JSON] [--wait 30s] [--json]`: act as an agent. */
export const call: Command = {
  summary: "act as an agent: submit one call and print its verdict (exit 0 allowed, 1 denied)",
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        agent: { type: "string" },
        user: { type: "string" },
        env: { type: "string" },
        args: { type: "string" },
        run: { type: "string" },
        wait: { type: "string", default: "30s" },
        "require-approval": { type: "boolean" },
        json: { type: "boolean" },
      },
    });
    const tool = positionals[0];
    if (!tool || !values.agent) {
      process.stderr.write(
        "usage: airlock call TOOL --agent A [--user U] [--env E] [--args JSON] [--wait 30s] [--json]\n",
      );
      return 2;
    }
    let toolArgs: Record<string, unknown> = {};
    if (values.args !== undefined) {
      try {
        const parsed: unknown = JSON.parse(values.args);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        toolArgs = parsed as Record<string, unknown>;
      } catch (error) {
        process.stderr.write(`airlock call: --args must be a JSON object (${(error as Error).message})\n`);
        return 2;
      }
    }
    const config = loadConfig(process.env);
    const client = await connectHttp({
      agent: values.agent,
      url: config.AIRLOCK_URL,
      ...(values.run ? { runId: values.run } : {}),
    });
    const verdict = await client.check(
      {
        tool,
        args: toolArgs,
        context: { ...(values.user ? { user: values.user } : {}), ...(values.env ? { environment: values.env } : {}) },
        metadata: values["require-approval"] ? { require_approval: true } : {},
      },
      { timeout: values.wait },
    );
    if (values.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
    else {
      process.stdout.write(
        `${verdict.allowed ? "ALLOWED" : "DENIED"}  ${tool}  outcome=${verdict.outcome}  decided_by=${verdict.decided_by}\n` +
          `  reason: ${verdict.reason}\n  call:   ${verdict.call_id}\n`,
      );
    }
    return verdict.allowed ? 0 : 1;
  },
};
