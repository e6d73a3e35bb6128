import { actionDigest, newId, parseDuration, type EventDataInput } from "@airlock/shared";

/** A tool call an agent is about to make. */
export interface ToolCall {
  tool: string;
  args?: Record<string, unknown>;
  /** The run this call belongs to (max_tool_calls counts per run); default: the client's run. */
  run_id?: string;
  /** Who and where: `user` is the requester, who never approves their own call. */
  context?: { user?: string; environment?: string; [key: string]: unknown };
  metadata?: { require_approval?: boolean; [key: string]: unknown };
  /** Default: a new id. */
  call_id?: string;
}

/** Options of a check. */
export interface CheckOptions {
  /** How long to wait for the verdict (ms or a duration such as "30s"); then deny. Default 30 s. */
  timeout?: number | string;
  /** Abort: the pending call is cancelled and denied. */
  signal?: AbortSignal;
}

/** Default time to wait for a verdict. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** The timeout of a check in ms. */
export function timeoutMs(options: CheckOptions): number {
  const { timeout } = options;
  if (timeout === undefined) return DEFAULT_CHECK_TIMEOUT_MS;
  if (typeof timeout === "number") return timeout;
  const ms = parseDuration(timeout);
  if (ms === undefined) throw new TypeError(`timeout: "${timeout}" is not a duration such as 30s or 15m`);
  return ms;
}

/** The data of the `tool_call.requested` for a call, with its id and digest. */
export function requestData(
  agent: string,
  runId: string,
  call: ToolCall,
): EventDataInput<"airlock.tool_call.requested"> {
  const args = call.args ?? {};
  return {
    call_id: call.call_id ?? newId(),
    agent_id: agent,
    run_id: call.run_id ?? runId,
    tool: call.tool,
    args,
    action_digest: actionDigest({ agent_id: agent, tool: call.tool, args }),
    context: call.context ?? {},
    metadata: call.metadata ?? {},
  };
}
