import { actionDigest, createEvent, newId, type AirlockEvent, type EventHandler } from "../src/index.js";

export { uniqueNamespace, waitFor } from "../src/testing/index.js";

/** A valid airlock.tool_call.requested. */
export function toolCall(
  agent = "agent-1",
  args: Record<string, unknown> = {},
): AirlockEvent<"airlock.tool_call.requested"> {
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
