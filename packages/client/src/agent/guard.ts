import { actionDigest } from "@airlock/shared";
import type { CheckOptions, ToolCall } from "./call.js";
import type { AgentClient } from "./client.js";
import { DeniedError } from "./verdict.js";

/** A tool function guarded by Airlock. */
export type Guarded<A extends Record<string, unknown>, R> = (
  args: A,
  call?: Omit<ToolCall, "tool" | "args">,
  options?: CheckOptions,
) => Promise<R>;

/**
 * Wrap a tool so it runs only when Airlock allows it, and only with the exact arguments that were checked:
 * the arguments are copied and frozen before the check, the verdict must name their digest, and the tool
 * gets the frozen copy — so nothing can change them between approval and execution. A denied call throws
 * {@link DeniedError} and the tool never runs.
 */
export function guard<A extends Record<string, unknown>, R>(
  client: AgentClient,
  tool: string,
  fn: (args: Readonly<A>) => Promise<R>,
): Guarded<A, R> {
  return async (args, call = {}, options = {}) => {
    const frozen = deepFreeze(structuredClone(args));
    const verdict = await client.check({ ...call, tool, args: frozen }, options);
    const digest = actionDigest({ agent_id: client.agent, tool, args: frozen });
    if (!verdict.allowed || verdict.action_digest !== digest) throw new DeniedError(tool, verdict);
    return fn(frozen);
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
