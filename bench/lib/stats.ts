/** Summary of a latency sample, in milliseconds. */
export interface LatencySummary {
  n: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
}

/** The value at quantile `q` (0..1) of a sorted sample: nearest rank, as most load tools report. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50, p99 and mean of latencies in ms, rounded to µs. */
export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    p50_ms: round(quantile(sorted, 0.5)),
    p99_ms: round(quantile(sorted, 0.99)),
    mean_ms: round(mean),
  };
}

/** Milliseconds since `start` (a process.hrtime.bigint()). */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Milliseconds `fn` takes, awaited. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return since(start);
}

/** Time `count` calls of `once` made one after another (the nth gets `first + n`); latencies in ms. */
export async function timeSequential(once: (n: number) => Promise<void>, count: number, first = 0): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await once(first + i);
    latencies.push(since(start));
  }
  return latencies;
}

/** Calls per second of `count` calls of `once` made all at once (the nth gets `first + n`). */
export async function timeBurst(once: (n: number) => Promise<void>, count: number, first = 0): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: count }, (_, i) => once(first + i)));
  return Math.round(count / (since(start) / 1000));
}
