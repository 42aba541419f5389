// Latency over a window from Prometheus histograms (control plane, pure): the gateway's
// serve_gateway_request_duration_seconds is cumulative since it started, so each scrape is turned
// into the counts that arrived since the previous one, and a window's p99 comes from their sum.

/** Requests per latency bucket between two scrapes: `counts[i]` fell at or below `boundsMs[i]` and above the bound before; the last count is over every bound (+Inf). */
export interface LatencyDelta {
  boundsMs: readonly number[];
  /** One more entry than boundsMs: the +Inf bucket. */
  counts: readonly number[];
}

/** A cumulative histogram as scraped: bucket upper bounds (ms, ascending) and cumulative counts, +Inf last. */
export interface HistogramSnapshot {
  boundsMs: number[];
  /** Cumulative counts, one per bound plus +Inf. */
  cumulative: number[];
}

/**
 * The counts that arrived between `before` and `after`, or undefined when they cannot be compared
 * (different buckets, or the gateway restarted and its counters went back).
 */
export function histogramDelta(
  before: HistogramSnapshot | undefined,
  after: HistogramSnapshot,
): LatencyDelta | undefined {
  if (before === undefined) return undefined;
  if (before.boundsMs.length !== after.boundsMs.length || before.boundsMs.some((b, i) => b !== after.boundsMs[i]))
    return undefined;
  const counts: number[] = [];
  let prevAfter = 0;
  let prevBefore = 0;
  for (let i = 0; i < after.cumulative.length; i++) {
    const n = after.cumulative[i]! - prevAfter - (before.cumulative[i]! - prevBefore);
    if (n < 0) return undefined; // a restart reset the counters
    counts.push(n);
    prevAfter = after.cumulative[i]!;
    prevBefore = before.cumulative[i]!;
  }
  return { boundsMs: after.boundsMs, counts };
}

/** Sums deltas with the same buckets (others are skipped); undefined when there are none. */
export function mergeDeltas(deltas: ReadonlyArray<LatencyDelta | undefined>): LatencyDelta | undefined {
  let out: { boundsMs: readonly number[]; counts: number[] } | undefined;
  for (const d of deltas) {
    if (!d) continue;
    if (!out) out = { boundsMs: d.boundsMs, counts: [...d.counts] };
    else if (out.counts.length === d.counts.length) d.counts.forEach((c, i) => (out!.counts[i]! += c));
  }
  return out;
}

/** Requests counted in a delta. */
export function deltaCount(d: LatencyDelta | undefined): number {
  return d === undefined ? 0 : d.counts.reduce((a, b) => a + b, 0);
}

/**
 * The q-quantile (0.99 for p99) of a delta in ms, interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile does; a quantile in the +Inf bucket is the highest bound (a lower
 * limit). Undefined for an empty delta.
 */
export function deltaQuantileMs(d: LatencyDelta | undefined, q: number): number | undefined {
  const total = deltaCount(d);
  if (d === undefined || total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < d.counts.length; i++) {
    const n = d.counts[i]!;
    if (below + n >= rank && n > 0) {
      if (i >= d.boundsMs.length) return d.boundsMs.at(-1);
      const lo = i === 0 ? 0 : d.boundsMs[i - 1]!;
      const hi = d.boundsMs[i]!;
      return lo + ((hi - lo) * (rank - below)) / n;
    }
    below += n;
  }
  return d.boundsMs.at(-1);
}
