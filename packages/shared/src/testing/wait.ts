import { newId } from "../ids.js";

/** A namespace no other test uses: topics, queues and groups of a test never meet another's. */
export function uniqueNamespace(prefix = "t"): string {
  return `${prefix}${newId()
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 12)
    .toLowerCase()}`;
}

/**
 * Wait until `condition` holds (it may be async), checking every few ms; fail with `what` after the timeout.
 * This, not a sleep, is how tests synchronise with the system under test.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
