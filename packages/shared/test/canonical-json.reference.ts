// The canonicalize of before the fast path (commit f39ddeb), kept verbatim as the reference the fast
// implementation is property-tested against. Test-only.
export function referenceCanonicalize(value: unknown): string {
  return write(value, new Set());
}

// A lone surrogate cannot be encoded in UTF-8; RFC 8785 §3.2.2.2 makes it an error.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
      return JSON.stringify(value); // -0 → "0", 1e21 → "1e+21", 5e-7 → "5e-7", as RFC 8785 §3.2.2.3
    case "string":
      if (LONE_SURROGATE.test(value)) throw new TypeError("canonical JSON: string holds a lone surrogate");
      return JSON.stringify(value);
    case "object":
      return writeContainer(value, seen);
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} is not a JSON value`);
  }
}

function writeContainer(value: object, seen: Set<object>): string {
  if (seen.has(value)) throw new TypeError("canonical JSON: value is circular");
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item: unknown) => write(item === undefined ? null : item, seen)).join(",")}]`;
    }
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, exactly the order RFC 8785 §3.2.3 requires.
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    const members = keys.map((key) => {
      if (LONE_SURROGATE.test(key)) throw new TypeError("canonical JSON: key holds a lone surrogate");
      return `${JSON.stringify(key)}:${write(record[key], seen)}`;
    });
    return `{${members.join(",")}}`;
  } finally {
    seen.delete(value);
  }
}
