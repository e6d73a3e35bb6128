import { readFile } from "node:fs/promises";
import type { KeyObject } from "node:crypto";
import { isMap, isScalar, parseDocument, stringify, LineCounter } from "yaml";
import { ConfigError } from "../errors.js";
import { canonicalId } from "../identity.js";
import { parsePublicKey } from "./keys.js";

/** Each registered reviewer's Ed25519 public key, by canonical reviewer id ({@link canonicalId}; `AIRLOCK_REVIEWERS`). */
export type ReviewerKeys = ReadonlyMap<string, KeyObject>;

/**
 * Parse a reviewers file: a YAML mapping of reviewer id → `ed25519:<base64 public key>`. Every bad entry
 * is reported at once, each with its line, in one ConfigError naming `where`. Two ids that are one
 * reviewer once compared canonically (case, Unicode form, white space) are an error: which key would be theirs?
 */
export function parseReviewersFile(text: string, where = "AIRLOCK_REVIEWERS"): ReviewerKeys {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const problems: string[] = document.errors.map((error) => `${where}: ${error.message.split("\n")[0]}`);
  const keys = new Map<string, KeyObject>();
  const spelled = new Map<string, string>();
  if (problems.length === 0 && document.contents !== null) {
    if (!isMap(document.contents)) {
      problems.push(`${where}: must be a mapping of reviewer id to "ed25519:<base64 public key>"`);
    } else {
      for (const pair of document.contents.items) {
        const at = (node: unknown): string => {
          const offset = isScalar(node) && node.range ? node.range[0] : 0;
          return `${where}:${lines.linePos(offset).line}`;
        };
        const id = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof id !== "string" || id.length === 0 || id.length > 200) {
          problems.push(`${at(pair.key)}: a reviewer id must be a string of 1-200 characters`);
          continue;
        }
        const value = isScalar(pair.value) ? pair.value.value : undefined;
        if (typeof value !== "string") {
          problems.push(`${at(pair.key)}: ${id}: the key must be a string "ed25519:<base64 public key>"`);
          continue;
        }
        const parsed = parsePublicKey(value.trim());
        if (!parsed.ok) problems.push(`${at(pair.value)}: ${id}: ${parsed.reason}`);
        else if (spelled.has(canonicalId(id))) {
          problems.push(
            `${at(pair.key)}: ${id}: the same reviewer as ${spelled.get(canonicalId(id))!} (ids compare without case, Unicode form or surrounding spaces)`,
          );
        } else {
          spelled.set(canonicalId(id), id);
          keys.set(canonicalId(id), parsed.key);
        }
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  return keys;
}

/** Read and parse the reviewers file at `path`; a missing or bad file is a ConfigError. */
export async function loadReviewersFile(path: string): Promise<ReviewerKeys> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`AIRLOCK_REVIEWERS: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseReviewersFile(text, path);
}

/** The reviewers-file line registering `reviewer` with `publicKey` (`ed25519:…`), quoted as YAML needs. */
export function reviewersFileLine(reviewer: string, publicKey: string): string {
  return stringify({ [reviewer]: publicKey }, { lineWidth: 0 }).trimEnd();
}
