/** The JSON type of a value, told apart the way policy comparisons need: arrays and null are their own kinds. */
export type JsonKind = "string" | "number" | "boolean" | "null" | "array" | "object";

/** The kind of a JSON value, or undefined for what JSON cannot carry (undefined: a missing path). */
export function kindOf(value: unknown): JsonKind | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      return "object";
    default:
      return undefined;
  }
}

/**
 * Whether a number can be compared exactly: finite, and within ±2^53 (Number.MAX_SAFE_INTEGER). Past
 * that, two JSON parsers may read the same digits as different numbers (9007199254740993 is ...992 here),
 * so the policy and the tool could disagree about the value; `1e400` parses as Infinity.
 */
export function isSafeNumber(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
}

/**
 * The kind of a value a comparison can decide on, or undefined when it can decide nothing: a missing
 * path, or a number `isSafeNumber` refuses.
 */
export function decidableKind(value: unknown): JsonKind | undefined {
  if (typeof value === "number") return isSafeNumber(value) ? "number" : undefined;
  return kindOf(value);
}

/** A value as a reason names it: `missing`, `a string`, `a number past ±2^53`, … */
export function describeValue(value: unknown): string {
  const kind = kindOf(value);
  if (kind === undefined) return "missing";
  if (kind === "number" && !isSafeNumber(value as number)) {
    return Number.isFinite(value) ? "a number past ±2^53" : "not a finite number";
  }
  return kind === "null" ? "null" : kind === "array" || kind === "object" ? `an ${kind}` : `a ${kind}`;
}

/** Structural equality of two JSON values; key order of objects does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  if (kind === "array") {
    const left = a as unknown[];
    const right = b as unknown[];
    return left.length === right.length && left.every((item, i) => jsonEqual(item, right[i]));
  }
  if (kind === "object") {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every((key) => Object.hasOwn(right, key) && jsonEqual(left[key], right[key]))
    );
  }
  return false;
}
