// One measurement of the running configuration at one rate (tune): open-loop windows through the
// gateway with `serve bench`'s load generator (the first after a warmup at the same rate), until the
// stability rule says stable, overloaded or unstable; the verdict is on the last three windows taken
// together (their histograms added).
import {
  benchOptionsWithDefaults,
  runBench,
  summarizeEncoded,
  type RunResult,
  type SloTargets,
} from '../loadtest/index.js';
import { judgeWindows, STABLE_WINDOWS, type WindowSample } from './stability.js';
import type { Probe } from './types.js';
import { judge } from './verdict.js';

/** Thrown when the run is stopped (budget or Ctrl-C) in the middle of a measurement. */
export class TuneStopped extends Error {
  constructor() {
    super('stopped');
    this.name = 'TuneStopped';
  }
}

export interface MeasureSettings {
  url: string;
  model: string;
  windowMs: number;
  maxWindows: number;
  warmupMs: number;
  /** Per-request limit of the load generator. */
  timeoutMs: number;
  connections: number;
  targets: SloTargets;
}

/** Measures at `ratePerSec`; throws TuneStopped when `signal` aborts. `onWindow` reports each window. */
export async function measureAt(
  s: MeasureSettings,
  ratePerSec: number,
  signal?: AbortSignal,
  onWindow?: (n: number, w: WindowSample) => void,
): Promise<Probe> {
  const started = performance.now();
  const windows: RunResult[] = [];
  const samples: WindowSample[] = [];
  for (;;) {
    if (signal?.aborted) throw new TuneStopped();
    const opts = benchOptionsWithDefaults(s.url, {
      model: s.model,
      ratePerSec,
      durationMs: s.windowMs,
      warmupMs: windows.length === 0 ? s.warmupMs : 0,
      timeoutMs: s.timeoutMs,
      connections: s.connections,
    });
    const r = await runBench(opts, { signal });
    if (signal?.aborted || r.interrupted) throw new TuneStopped();
    windows.push(r);
    const sample = { achievedPerSec: r.rate.achievedPerSec, p99Ms: r.latency.p99Ms, requestedPerSec: ratePerSec };
    samples.push(sample);
    onWindow?.(windows.length, sample);
    const verdict = judgeWindows(samples, s.maxWindows);
    if (verdict === 'more') continue;
    return probeOf(windows.slice(-STABLE_WINDOWS), ratePerSec, s.targets, {
      stable: verdict === 'stable',
      overloaded: verdict === 'overloaded',
      windows: windows.length,
      durationMs: performance.now() - started,
    });
  }
}

/** The probe of the last windows taken together. */
export function probeOf(
  last: readonly RunResult[],
  ratePerSec: number,
  targets: SloTargets,
  how: Pick<Probe, 'stable' | 'overloaded' | 'windows' | 'durationMs'>,
): Probe {
  const latency = summarizeEncoded(last.map((w) => w.histograms.latencyUs));
  const achievedPerSec = last.reduce((a, w) => a + w.rate.achievedPerSec, 0) / last.length;
  const ok = last.reduce((a, w) => a + w.requests.ok, 0);
  const failed = last.reduce((a, w) => a + w.requests.errors - (w.errorsByClass.interrupted ?? 0), 0);
  const errorRate = ok + failed === 0 ? 0 : failed / (ok + failed);
  const verdict = judge({ ratePerSec, achievedPerSec, latency, errorRate }, targets);
  return {
    ratePerSec,
    achievedPerSec,
    errorRate,
    ...verdict,
    ...how,
    latency: { p50Ms: latency.p50Ms, p95Ms: latency.p95Ms, p99Ms: latency.p99Ms, maxMs: latency.maxMs },
  };
}
