import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from "yaml";
import type { PolicyIssue } from "./issue.js";

/** A problem with a policy file, at a position: 1-based line and column, as editors count them. */
export interface PolicyError {
  line: number;
  col: number;
  /** Where in the document, e.g. `rules[2].when.all[0]`; empty for the document itself. */
  path: string;
  message: string;
}

/** The parsed source: the plain JSON value, and a way back from a path in it to a line and column. */
export interface ParsedSource {
  value: unknown;
  locate: (issue: PolicyIssue) => PolicyError;
}

/** The result of parsing a policy file's text: a value, or every syntax error with its position. */
export type SourceResult = ({ ok: true } & ParsedSource) | { ok: false; errors: PolicyError[] };

// A document with more aliases than this is a "billion laughs" expansion, not a policy.
const MAX_ALIASES = 1000;

/**
 * Parse YAML or JSON (JSON is read as YAML 1.2, whose flow syntax it is), keeping the node tree so that
 * a schema error found later can name its line and column. Duplicate keys, tabs as indentation and
 * unknown tags are errors here, not silently resolved.
 */
export function parseSource(text: string): SourceResult {
  // JSON is read with JSON.parse, some hundred times faster than a YAML parser (a 1,000-rule policy:
  // ~5 ms against ~1 s), which matters for large generated policies reloaded on a running service. The
  // YAML node tree is built only if a position is needed. Unlike the YAML path, a JSON object's
  // duplicate key keeps its last value, as JSON.parse (and RFC 8259's "SHOULD be unique") has it.
  if (/^\s*[{[]/.test(text)) {
    try {
      const value: unknown = JSON.parse(text);
      let tree: SourceResult | undefined;
      return {
        ok: true,
        value,
        locate: (issue) => {
          tree ??= parseYaml(text);
          return tree.ok
            ? tree.locate(issue)
            : { line: 1, col: 1, path: formatPath(issue.path), message: issue.message };
        },
      };
    } catch {
      // Not JSON after all (or JSON with an error): the YAML parser says where.
    }
  }
  return parseYaml(text);
}

function parseYaml(text: string): SourceResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: "1.2",
    schema: "core",
  });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((problem) => ({
        ...position(problem.pos[0]),
        path: "",
        message: firstLine(problem.message),
      })),
    };
  }
  if (doc.contents === null)
    return { ok: false, errors: [{ line: 1, col: 1, path: "", message: "the policy is empty" }] };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb: the author's input, reported like any other error.
    return {
      ok: false,
      errors: [{ line: 1, col: 1, path: "", message: error instanceof Error ? error.message : String(error) }],
    };
  }
  return {
    ok: true,
    value,
    locate: (issue) => ({ ...position(offsetOf(doc, issue)), path: formatPath(issue.path), message: issue.message }),
  };
}

/** `rules[2].when.all[0]`: a path as an author reads it. */
export function formatPath(path: readonly (string | number)[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

// The offset of the node a path names; where the path leaves the document (a missing key), its nearest
// ancestor that is there, so "missing key" errors point at the mapping that lacks it.
function offsetOf(doc: Document, issue: PolicyIssue): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const [index, segment] of issue.path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const last = index === issue.path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (pair === undefined) break;
      const keyStart = startOf(pair.key);
      if (last && issue.at === "key" && keyStart !== undefined) return keyStart;
      node = pair.value;
      // `when:` with nothing after it has no value node: the key is where the author looks.
      offset = startOf(node) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof segment === "number") {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      node = item;
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function startOf(node: unknown): number | undefined {
  return node !== null && typeof node === "object" && "range" in node ? (node as YamlNode).range?.[0] : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0] ?? message;
}
