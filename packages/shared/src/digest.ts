import { createHash } from "node:crypto";
import { canonicalBytes } from "./canonical-json.js";

/** Lowercase hex SHA-256 of some bytes. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** What an approval is bound to: one agent calling one tool with exactly these arguments. */
export interface Action {
  agent_id: string;
  tool: string;
  args: unknown;
}

/**
 * `action_digest`: lowercase hex SHA-256 of the RFC 8785 canonical JSON of `{agent_id, tool, args}`.
 * A vote counts only for the digest it names, and the SDK runs a tool only when the verdict's digest is
 * the digest of the call it is about to make — so an approval cannot be replayed for other arguments.
 */
export function actionDigest(action: Action): string {
  return sha256Hex(canonicalBytes({ agent_id: action.agent_id, tool: action.tool, args: action.args }));
}
