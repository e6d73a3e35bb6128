/** One RSS sample of one service: ms since the soak started, and bytes. */
export interface MemorySample {
  at_ms: number;
  rss_bytes: number;
}

/** A service's resident memory from its /metrics (prom-client's default metrics, prefix `airlock_`). */
export async function scrapeRss(url: string): Promise<number | undefined> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) return undefined;
  const match = /^airlock_process_resident_memory_bytes\s+([0-9.e+]+)$/m.exec(await response.text());
  return match ? Number(match[1]) : undefined;
}

/** How a service's memory moved after warm-up. */
export interface MemoryTrend {
  samples: number;
  /** Median of the first and of the last third of the samples, in MB. */
  start_mb: number;
  end_mb: number;
  /** (end − start) / start. */
  growth: number;
  /** Least-squares slope over the samples, MB per minute. */
  slope_mb_per_min: number;
}

/**
 * The trend of samples taken after `fromMs`. Thirds and medians, not first and last sample: a garbage
 * collection at the wrong moment moves one sample by tens of MB, and says nothing about a leak.
 */
export function memoryTrend(samples: readonly MemorySample[], fromMs: number): MemoryTrend {
  const kept = samples.filter((s) => s.at_ms >= fromMs);
  const mb = (bytes: number): number => bytes / 2 ** 20;
  const third = Math.max(1, Math.floor(kept.length / 3));
  const start = median(kept.slice(0, third).map((s) => mb(s.rss_bytes)));
  const end = median(kept.slice(-third).map((s) => mb(s.rss_bytes)));
  const n = kept.length;
  const meanX = kept.reduce((sum, s) => sum + s.at_ms, 0) / Math.max(1, n);
  const meanY = kept.reduce((sum, s) => sum + mb(s.rss_bytes), 0) / Math.max(1, n);
  const sxx = kept.reduce((sum, s) => sum + (s.at_ms - meanX) ** 2, 0);
  const sxy = kept.reduce((sum, s) => sum + (s.at_ms - meanX) * (mb(s.rss_bytes) - meanY), 0);
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    samples: n,
    start_mb: round(start),
    end_mb: round(end),
    growth: round(start > 0 ? (end - start) / start : 0),
    slope_mb_per_min: round(sxx > 0 ? (sxy / sxx) * 60_000 : 0),
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
