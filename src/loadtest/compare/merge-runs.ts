// One RunResult from several runs against one target (loadtest, pure): the blocks of one side of
// an interleaved A/B comparison, added up as if they had been one run (histograms merged exactly,
// counts summed, the per-second series one after another).
import { encodeHistogram, mergeEncoded, summarize } from '../histogram.js';
import { errorRateOf } from '../result.js';
import { INTERRUPTED_CLASS } from '../recorder.js';
import { concatSeries } from '../series.js';
import type { RequestCounts, RunResult } from '../types.js';

/** The runs (at least one) as one; byVersion is left out (a rollout is not what A/B compares). */
export function mergeRuns(parts: readonly RunResult[]): RunResult {
  const first = parts[0]!;
  const durationMs = parts.reduce((a, p) => a + p.durationMs, 0);
  const perSec = (n: number) => (durationMs > 0 ? (n * 1000) / durationMs : 0);
  const requests: RequestCounts = { scheduled: 0, sent: 0, ok: 0, errors: 0, notSent: 0, sentLate: 0 };
  const errorsByClass: Record<string, number> = {};
  for (const p of parts) {
    for (const k of Object.keys(requests) as Array<keyof RequestCounts>) requests[k] += p.requests[k];
    for (const [k, v] of Object.entries(p.errorsByClass)) errorsByClass[k] = (errorsByClass[k] ?? 0) + v;
  }
  const latency = mergeEncoded(parts.map((p) => p.histograms.latencyUs));
  const service = mergeEncoded(parts.map((p) => p.histograms.serviceUs));
  let offsetSeconds = 0;
  const series = concatSeries(
    parts.map((p) => {
      const part = { rows: p.series, offsetSeconds };
      offsetSeconds += Math.max(1, Math.round(p.durationMs / 1000));
      return part;
    }),
  );
  const { byVersion: _, ...rest } = first;
  return {
    ...rest,
    durationMs,
    rate: {
      requestedPerSec: first.rate.requestedPerSec,
      sentPerSec: perSec(requests.sent),
      achievedPerSec: perSec(requests.ok),
    },
    requests,
    errorsByClass,
    errorRate: errorRateOf(requests.ok, requests.errors, errorsByClass[INTERRUPTED_CLASS]),
    latency: summarize(latency),
    service: summarize(service),
    histograms: { latencyUs: encodeHistogram(latency), serviceUs: encodeHistogram(service) },
    series,
    interrupted: parts.some((p) => p.interrupted),
  };
}
