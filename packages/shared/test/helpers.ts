import { actionDigest, createEvent, newId, type AirlockEvent, type EventHandler } from "../src/index.js";

/** A namespace no other test uses: topics, queues and groups of a test never meet another's. */
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}${newId().replace(/[^A-Za-z0-9]/g, "").slice(0, 12).toLowerCase()}`;
}

/** Wait until `condition` holds, checking on each turn of the event loop; fail with `what` after the timeout. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A valid airlock.tool_call.requested. */
export function toolCall(agent = "agent-1", args: Record<string, unknown> = {}): AirlockEvent<"airlock.tool_call.requested"> {
  const call = { agent_id: agent, tool: "search_documents", args };
  return createEvent({
    type: "airlock.tool_call.requested",
    source: `agent/${agent}`,
    subject: newId(),
    data: { ...call, call_id: newId(), run_id: "run-1", action_digest: actionDigest(call) },
  });
}

/** A handler that records each event synchronously and succeeds. */
export function sink(record: (event: AirlockEvent) => unknown): EventHandler {
  return (event) => {
    record(event);
    return Promise.resolve();
  };
}
