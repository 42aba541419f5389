// The percentile spectrum of a recorded histogram (loadtest, pure): latency at percentiles spaced
// evenly in "nines" (0%, 90%, 99%, 99.9%: x = log10(1/(1-q))), the points of an HdrHistogram plot.
import { decodeHistogram } from './histogram.js';

/** One point of a spectrum: `percentile` in 0..100, the latency at it in milliseconds. */
export interface SpectrumPoint {
  percentile: number;
  valueMs: number;
}

/** Points per nine (0%..90%, 90%..99%, ...) and the deepest nine drawn (99.9999%). */
export const SPECTRUM_POINTS_PER_NINE = 40;
export const SPECTRUM_MAX_NINES = 6;

/**
 * The spectrum of an encoded histogram (microseconds, as RunResult.histograms holds it), in ms.
 * It stops where the data stops: with N values the deepest percentile that means anything is
 * 1 - 1/N, and that last point is the slowest value. The encoding keeps only buckets, so pass the
 * exact max (the result's latency.maxMs) to end on the figure the table shows. Empty: no points.
 */
export function percentileSpectrum(
  encodedUs: string,
  opts: { maxMs?: number; pointsPerNine?: number } = {},
): SpectrumPoint[] {
  if (encodedUs === '') return [];
  const h = decodeHistogram(encodedUs);
  const n = h.totalCount;
  if (n === 0) return [];
  const pointsPerNine = opts.pointsPerNine ?? SPECTRUM_POINTS_PER_NINE;
  const maxMs = Math.min(opts.maxMs ?? Infinity, h.maxValue / 1000);
  const dataNines = Math.log10(n);
  const lastNines = Math.min(SPECTRUM_MAX_NINES, dataNines);
  const out: SpectrumPoint[] = [];
  const steps = Math.floor(lastNines * pointsPerNine + 1e-9);
  for (let i = 0; i <= steps; i++) {
    const percentile = 100 * (1 - 10 ** (-i / pointsPerNine));
    // HDR answers with the top of a value's bucket; never above the largest value recorded.
    out.push({ percentile, valueMs: Math.min(maxMs, h.getValueAtPercentile(percentile) / 1000) });
  }
  const lastPercentile = 100 * (1 - 10 ** -lastNines);
  const endMs = lastNines === dataNines ? maxMs : Math.min(maxMs, h.getValueAtPercentile(lastPercentile) / 1000);
  if (out[out.length - 1]!.percentile < lastPercentile - 1e-12)
    out.push({ percentile: lastPercentile, valueMs: endMs });
  else out[out.length - 1]!.valueMs = endMs;
  return out;
}
