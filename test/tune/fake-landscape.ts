// A made-up replica for the search tests (test helper): each configuration has a knee (the highest
// rate it serves within the targets) and a probe at a rate passes exactly up to it. Counts every
// measurement, as the real tuner's time is spent there.
import type { ProbeHost } from '../../src/tune/knee.js';
import type { Probe, TuneConfig } from '../../src/tune/types.js';

/** Knee of a configuration: bigger batches carry more, a 0 ms wait fills no batch, 10 ms waits too long, 2 threads help a little. */
export function fakeKnee(c: TuneConfig): number {
  const base: Record<number, number> = { 1: 150, 8: 500, 16: 700, 32: 760 };
  const wait =
    c.maxBatchSize === 1 ? 1 : (({ 0: 0.6, 2: 0.95, 5: 1, 10: 0.9 } as Record<number, number>)[c.batchWaitMs] ?? 1);
  return Math.round((base[c.maxBatchSize] ?? 100) * wait * (c.threads === 2 ? 1.1 : 1) * c.replicas);
}

export function fakeProbe(c: TuneConfig, ratePerSec: number, knee = fakeKnee(c)): Probe {
  const passed = ratePerSec <= knee;
  const achievedPerSec = Math.min(ratePerSec, knee * 1.1);
  // Over the knee p99 grows with the overload, so near misses rank before far ones.
  const p99Ms = passed ? 40 + (30 * ratePerSec) / knee : Math.round((100 * ratePerSec) / Math.max(knee, 1)) + 1;
  return {
    ratePerSec,
    achievedPerSec,
    latency: { p50Ms: p99Ms / 3, p95Ms: p99Ms * 0.8, p99Ms, maxMs: p99Ms * 1.5 },
    errorRate: 0,
    passed,
    missed: passed ? [] : [`p99 ${p99Ms}ms > 100ms`],
    score: passed ? ratePerSec / knee : p99Ms / 100,
    stable: true,
    windows: 3,
    overloaded: false,
    durationMs: 3000,
  };
}

/** A host measuring with `probe` (default fakeProbe), counting measurements. */
export function fakeHost(
  probe: (c: TuneConfig, r: number) => Probe = fakeProbe,
): ProbeHost & { count: number; rates: Array<[string, number]> } {
  const host = {
    count: 0,
    rates: [] as Array<[string, number]>,
    async measure(c: TuneConfig, r: number) {
      host.count++;
      host.rates.push([`${c.maxBatchSize}/${c.batchWaitMs}/${c.replicas}/${c.threads}`, r]);
      return probe(c, r);
    },
  };
  return host;
}
