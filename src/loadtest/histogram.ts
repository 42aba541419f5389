// HDR histograms of latency in microseconds (loadtest): the only file that touches
// hdr-histogram-js. Fixed range and 32-bit counts, so memory is constant whatever the duration.
import hdr from 'hdr-histogram-js';
import type { Histogram as HdrHistogram } from 'hdr-histogram-js';

export type Histogram = HdrHistogram;

/** Highest latency tracked: one hour in microseconds; larger values are clamped to it. */
export const HIGHEST_US = 3_600_000_000;

/** A new, empty histogram (1 us .. 1 h, 3 significant digits, ~95 KB). */
export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

/** Records a latency given in milliseconds (fractions allowed) as whole microseconds. */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

/** Compressed base64 form (the HdrHistogram standard encoding, readable by other HDR tools). */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decodes `encodeHistogram` output into a histogram with our range. */
export function decodeHistogram(base64: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(base64, 32, false);
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/** Adds several encoded histograms (from workers or steps) into one. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const h = newHistogram();
  for (const e of encoded) h.add(hdr.decodeFromCompressedBase64(e, 32, false));
  return h;
}

/** The percentiles of several encoded histograms added together (the windows of one measurement). */
export function summarizeEncoded(encoded: readonly string[]): LatencySummary {
  return summarize(mergeEncoded(encoded));
}

/** Percentiles in milliseconds; all zero when nothing was recorded (check `count` before judging them). */
export function summarize(h: Histogram): LatencySummary {
  const n = h.totalCount;
  const at = (p: number) => (n === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
  return {
    count: n,
    minMs: n === 0 ? 0 : h.minNonZeroValue / 1000,
    meanMs: n === 0 ? 0 : h.mean / 1000,
    p50Ms: at(50),
    p90Ms: at(90),
    p95Ms: at(95),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: n === 0 ? 0 : h.maxValue / 1000,
  };
}

/** The `.hgrm` percentile distribution text, values in milliseconds (HdrHistogram's format). */
export function percentileDistribution(h: Histogram, ticksPerHalfDistance = 5): string {
  return h.outputPercentileDistribution(ticksPerHalfDistance, 1000);
}

/** Latency percentiles in milliseconds (from HDR histograms recorded in microseconds). */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** The parts of hdr-histogram-js's JS histogram that list its buckets (not in the Histogram interface). */
interface BucketAccess {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  countsArrayIndex(value: number): number;
  maxValue: number;
}

/**
 * The non-empty buckets of an encoded histogram as plain numbers for the statistics core: each
 * bucket's highest equivalent value in milliseconds (what getValueAtPercentile reports) and its count.
 */
export function bucketsOfEncoded(base64: string): { valuesMs: number[]; counts: number[] } {
  return bucketsOf(hdr.decodeFromCompressedBase64(base64, 32, false));
}

/** The non-empty buckets of a live histogram, as bucketsOfEncoded gives them (no encoding round trip). */
export function bucketsOf(histogram: Histogram): { valuesMs: number[]; counts: number[] } {
  const h = histogram as unknown as BucketAccess;
  const valuesMs: number[] = [];
  const counts: number[] = [];
  if (histogram.totalCount === 0) return { valuesMs, counts };
  // Buckets above the largest value recorded are empty: a second's histogram ends far below 1 h.
  const last = Math.min(h.countsArrayLength - 1, h.countsArrayIndex(h.maxValue));
  for (let i = 0; i <= last; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    valuesMs.push(h.highestEquivalentValue(h.valueFromIndex(i)) / 1000);
    counts.push(c);
  }
  return { valuesMs, counts };
}
