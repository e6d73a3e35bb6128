// @ts-check
// RFC 8785 (JCS) canonical JSON, byte for byte what packages/shared/src/canonical-json.ts writes:
// numbers and strings as JSON.stringify writes them (RFC 8785 adopts ECMAScript's algorithm), keys sorted
// by UTF-16 code units, no whitespace. What JCS forbids throws rather than being silently changed.

// A lone surrogate cannot be encoded in UTF-8 (RFC 8785 §3.2.2.2).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The canonical JSON text of a value.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalize(value) {
  return write(value, new Set());
}

/**
 * @param {unknown} value
 * @param {Set<object>} seen
 * @returns {string}
 */
function write(value, seen) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case "string":
      if (LONE_SURROGATE.test(value)) throw new TypeError("canonical JSON: string holds a lone surrogate");
      return JSON.stringify(value);
    case "object":
      return writeContainer(value, seen);
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} is not a JSON value`);
  }
}

/**
 * @param {object} value
 * @param {Set<object>} seen
 * @returns {string}
 */
function writeContainer(value, seen) {
  if (seen.has(value)) throw new TypeError("canonical JSON: value is circular");
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item) => write(item === undefined ? null : item, seen)).join(",")}]`;
    }
    const record = /** @type {Record<string, unknown>} */ (value);
    // The default sort compares UTF-16 code units: the order RFC 8785 §3.2.3 requires.
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
