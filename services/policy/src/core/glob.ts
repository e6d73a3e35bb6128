import picomatch from "picomatch";

// Any of these makes a pattern a glob; a name without them is matched by string equality (and indexed).
// The backslash is here too: "a\*b" is an escaped literal, and picomatch, not us, should interpret it.
const GLOB_CHARS = /[*?[\]{}()!+@\\]/;

/** Whether a tool or agent pattern names exactly one string, so it can be matched by equality. */
export function isExactName(pattern: string): boolean {
  return !GLOB_CHARS.test(pattern);
}

/** Why a glob pattern cannot be compiled, or undefined when it can. */
export function checkGlob(pattern: string): string | undefined {
  if (isExactName(pattern)) return undefined;
  try {
    picomatch.makeRe(pattern, { dot: true });
    return undefined;
  } catch (error) {
    // picomatch refuses some patterns (e.g. over its length limit): the author's mistake, reported as a value.
    return `bad glob "${pattern}": ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * A matcher for a glob, compiled once. `*` does not cross `/` (so `github/*` is one level) and `**` does;
 * `dot: true` because tool names like `.internal` are names, not hidden files.
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  if (isExactName(pattern)) return (name) => name === pattern;
  const regex = picomatch.makeRe(pattern, { dot: true });
  return (name) => regex.test(name);
}
