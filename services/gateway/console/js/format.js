// @ts-check
// How values read on the page.

/**
 * "1h 02m", "4m 05s", "12s"; "expiring…" once the time is up (the server decides the expiry).
 * @param {number} ms
 */
export function timeLeft(ms) {
  if (ms <= 0) return "expiring…";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hrs = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${hrs}h`;
  if (hrs > 0) return `${hrs}h ${two(min)}m`;
  if (min > 0) return `${min}m ${two(sec)}s`;
  return `${sec}s`;
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** Arguments as indented JSON. @param {unknown} args */
export function json(args) {
  return JSON.stringify(args, null, 2);
}

/** @param {string} hash */
export function shortHash(hash) {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

/**
 * "1 of 2 approvals, 0 rejections".
 * @param {{ approvals: number, rejections: number, quorum: number }} tally
 */
export function tallyText(tally) {
  return `${tally.approvals} of ${tally.quorum} approvals, ${tally.rejections} rejection${tally.rejections === 1 ? "" : "s"}`;
}
