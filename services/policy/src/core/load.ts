import { canonicalize, sha256Hex } from "@airlock/shared";
import { compilePolicy, type CompiledPolicy } from "./compile.js";
import { parseSource, type PolicyError } from "./source.js";
import { validateDocument } from "./validate.js";

/** A policy file's text, compiled, or every reason it cannot be (each with its line and column). */
export type PolicyLoad = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyError[] };

/**
 * Parse (YAML or JSON), validate and compile a policy. `policy.version` is the SHA-256 hex of the
 * document's RFC 8785 canonical JSON, so reformatting or re-commenting a file keeps its version and
 * any change of meaning changes it.
 */
export function loadPolicy(text: string): PolicyLoad {
  const source = parseSource(text);
  if (!source.ok) return source;
  const validated = validateDocument(source.value);
  if (!validated.ok) return { ok: false, errors: sortErrors(validated.issues.map(source.locate)) };
  const version = sha256Hex(canonicalize(validated.document));
  return { ok: true, policy: compilePolicy(validated.document, version) };
}

/** `file:line:col: path: reason`, the way compilers and editors print a position. */
export function formatPolicyError(file: string, error: PolicyError): string {
  return `${file}:${error.line}:${error.col}: ${error.path === "" ? "" : `${error.path}: `}${error.message}`;
}

function sortErrors(errors: PolicyError[]): PolicyError[] {
  return errors.sort((a, b) => a.line - b.line || a.col - b.col);
}
