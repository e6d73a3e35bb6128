/** A dot path into the event data, split once at compile time: `args.amount` → ["args", "amount"]. */
export type FieldPath = readonly string[];

/** Why a dot path is malformed, or undefined when it is fine. */
export function checkPath(path: string): string | undefined {
  if (path.length === 0) return "field needs a dot path such as args.amount";
  if (path.split(".").some((segment) => segment.length === 0)) return `field "${path}" has an empty segment`;
  return undefined;
}

/** Split a dot path that `checkPath` accepted. */
export function parsePath(path: string): FieldPath {
  return path.split(".");
}

/**
 * The value at a path, or undefined when any step is missing. Only own properties are followed, so
 * `args.constructor` or `args.__proto__` never reach Object.prototype; a numeric segment indexes an array.
 */
export function readPath(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      current = current[Number(segment)];
    } else {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}
