import type { CheckOptions, ToolCall } from "./call.js";
import type { Verdict } from "./verdict.js";

/** An agent's connection to Airlock, over the broker or over the HTTP API. */
export interface AgentClient {
  /** The agent this client speaks for. */
  readonly agent: string;
  /** The run its calls belong to unless a call names another. */
  readonly runId: string;
  /**
   * Ask whether a call may run and wait for the final verdict, through any escalation. Fails closed:
   * no answer within the timeout, or an abort, cancels the call and returns a deny.
   */
  check(call: ToolCall, options?: CheckOptions): Promise<Verdict>;
  /** Close the connection. Idempotent. */
  close(): Promise<void>;
}
