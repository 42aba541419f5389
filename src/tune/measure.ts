// One measurement of the running configuration at one rate (tune): open-loop windows through the
// gateway with `serve bench`'s load generator (the first after a warmup run at the same rate),
// until the stability rule says stable, overloaded or unstable. A window in which the generator
// fell behind (bench's self-audit) is dropped, not a sample (window-log.ts). The verdict is on the
// last three kept windows taken together (their histograms added), each percentile target with its
// interval from their per-second histograms (intervals.ts); a re-measurement pools its windows
// with the earlier ones at the same rate (a Pool), so repeating an unsure one narrows its intervals.
import {
  benchOptionsWithDefaults,
  runBench,
  summarizeEncoded,
  windowsOfSamples,
  type IntervalSample,
  type RunResult,
  type SloTargets,
} from '../loadtest/index.js';
import { auditRun, type AuditProbe } from '../loadtest/audit.js';
import { startAuditProbe } from '../loadtest/audit-probe.js';
import type { WindowCounts } from '../stats/index.js';
import { withIntervals } from './intervals.js';
import { STABLE_WINDOWS, type WindowSample } from './stability.js';
import type { Probe } from './types.js';
import { judge } from './verdict.js';
import { WindowLog } from './window-log.js';

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

/** One window a measurement kept: its result and its per-second latency histograms. */
export interface KeptWindow {
  result: RunResult;
  seconds: WindowCounts[];
}

/** What the measurements at one rate of one configuration kept so far, pooled by the next. */
export interface Pool {
  windows: KeptWindow[];
  measurements: number;
  windowsTaken: number;
  dropped: number;
  durationMs: number;
}

export function emptyPool(): Pool {
  return { windows: [], measurements: 0, windowsTaken: 0, dropped: 0, durationMs: 0 };
}

/**
 * Measures at `ratePerSec`, pooling with (and adding to) `pool`; throws TuneStopped when `signal`
 * aborts (the pool is then left as it was). `onWindow` reports each window taken.
 */
export async function measureAt(
  s: MeasureSettings,
  ratePerSec: number,
  signal?: AbortSignal,
  onWindow?: (n: number, w: WindowSample) => void,
  pool: Pool = emptyPool(),
): Promise<Probe> {
  const started = performance.now();
  const log = new WindowLog<KeptWindow>(s.maxWindows);
  let lastTaken: KeptWindow[] = [];
  for (;;) {
    if (signal?.aborted) throw new TuneStopped();
    const { window, behind } = await takeWindow(s, ratePerSec, log.taken === 0, signal);
    const sample = {
      achievedPerSec: window.result.rate.achievedPerSec,
      p99Ms: window.result.latency.p99Ms,
      requestedPerSec: ratePerSec,
    };
    lastTaken = [...lastTaken, window].slice(-STABLE_WINDOWS);
    onWindow?.(log.taken + 1, sample);
    const verdict = log.add(window, sample, behind);
    if (verdict === 'more') continue;
    const mine = log.kept.slice(-STABLE_WINDOWS).map((k) => k.window);
    pool.windows.push(...mine);
    pool.measurements++;
    pool.windowsTaken += log.taken;
    pool.dropped += log.dropped;
    pool.durationMs += performance.now() - started;
    // Every window dropped: the earlier measurements' windows, else the generator's own figures,
    // shown but never judged met (droppedWindows reaches windows).
    const judged = pool.windows.length > 0 ? pool.windows : lastTaken;
    return {
      ...probeOf(judged, ratePerSec, s.targets, {
        stable: verdict === 'stable',
        overloaded: verdict === 'overloaded',
        windows: pool.windowsTaken,
        durationMs: pool.durationMs,
      }),
      droppedWindows: pool.dropped,
      ...(log.droppedReason !== undefined && { droppedReason: log.droppedReason }),
      measurements: pool.measurements,
    };
  }
}

/** One window of load, watched by the generator's self-audit: `behind` says why it fell behind, when it did. */
async function takeWindow(
  s: MeasureSettings,
  ratePerSec: number,
  first: boolean,
  signal?: AbortSignal,
): Promise<{ window: KeptWindow; behind?: string }> {
  const opts = benchOptionsWithDefaults(s.url, {
    model: s.model,
    ratePerSec,
    durationMs: s.windowMs,
    warmupMs: 0,
    timeoutMs: s.timeoutMs,
    connections: s.connections,
  });
  // The warmup runs on its own, so that the self-audit watches the whole window: its progress
  // snapshots come a second apart, and a 1 s window would otherwise be audited from its end.
  if (first && s.warmupMs > 0) {
    const warm = await runBench({ ...opts, durationMs: s.warmupMs }, { signal });
    if (signal?.aborted || warm.interrupted) throw new TuneStopped();
  }
  const audit = startAuditProbe(true, true);
  const seconds: IntervalSample[] = [];
  let seen: AuditProbe | undefined;
  let result: RunResult;
  try {
    result = await runBench(opts, {
      signal,
      onProgress: (p) => audit.progress(p),
      onInterval: (x) => seconds.push(x),
    });
  } finally {
    seen = audit.stop();
  }
  if (signal?.aborted || result.interrupted) throw new TuneStopped();
  const verdict = auditRun(result, seen);
  return {
    window: { result, seconds: windowsOfSamples(seconds) },
    ...(verdict.unreliable && { behind: verdict.reason ?? 'the load generator fell behind' }),
  };
}

/** The probe of kept windows taken together, each percentile target with its interval. */
export function probeOf(
  windows: readonly KeptWindow[],
  ratePerSec: number,
  targets: SloTargets,
  how: Pick<Probe, 'stable' | 'overloaded' | 'windows' | 'durationMs'>,
): Probe {
  const last = windows.map((w) => w.result);
  const latency = summarizeEncoded(last.map((w) => w.histograms.latencyUs));
  const achievedPerSec = last.reduce((a, w) => a + w.rate.achievedPerSec, 0) / last.length;
  const ok = last.reduce((a, w) => a + w.requests.ok, 0);
  const failed = last.reduce((a, w) => a + w.requests.errors - (w.errorsByClass.interrupted ?? 0), 0);
  const errorRate = ok + failed === 0 ? 0 : failed / (ok + failed);
  const { checks, ...verdict } = judge({ ratePerSec, achievedPerSec, latency, errorRate }, targets);
  return {
    ratePerSec,
    achievedPerSec,
    errorRate,
    ...verdict,
    ...how,
    latency: { p50Ms: latency.p50Ms, p95Ms: latency.p95Ms, p99Ms: latency.p99Ms, maxMs: latency.maxMs },
    checks: withIntervals(
      checks,
      windows.flatMap((w) => w.seconds),
    ),
  };
}
