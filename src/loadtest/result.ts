// Assembly of a RunResult from what the phases measured (loadtest, pure).
import { encodeHistogram, summarize } from './histogram.js';
import type { PhaseOutput } from './phase.js';
import { INTERRUPTED_CLASS } from './recorder.js';
import { concatSeries, type SecondRow } from './series.js';
import type { BenchOptions, RunResult, StepResult } from './types.js';

/**
 * Error rate of a phase: failures over everything that was due (not-sent included), leaving out
 * the `interrupted` requests abandoned by a stop, which say nothing about the server.
 */
export function errorRateOf(ok: number, errors: number, interrupted = 0): number {
  const failed = errors - interrupted;
  const total = ok + failed;
  return total === 0 ? 0 : failed / total;
}

/** The summary of one phase as a ramp step (passed is filled in by the caller). */
export function stepOf(phase: PhaseOutput, requestedPerSec: number): StepResult {
  const r = phase.recorder;
  const durationMs = phase.endMs - phase.startMs;
  return {
    requestedPerSec,
    achievedPerSec: durationMs > 0 ? (r.counts.ok * 1000) / durationMs : 0,
    durationMs,
    requests: { ...r.counts },
    errorRate: errorRateOf(r.counts.ok, r.counts.errors, r.errorsByClass[INTERRUPTED_CLASS]),
    latency: summarize(r.latency),
    service: summarize(r.service),
    passed: false,
  };
}

/** Builds the stable RunResult of the reported phase. */
export function assembleResult(args: {
  opts: BenchOptions;
  model: string;
  startedAt: Date;
  phase: PhaseOutput;
  requestedPerSec: number | null;
  steps?: StepResult[];
  knee?: RunResult['knee'];
  /** Ramp: every step's phase, for the series over the whole ramp (default: the reported phase). */
  seriesPhases?: readonly PhaseOutput[];
  interrupted: boolean;
}): RunResult {
  const { opts, phase } = args;
  const r = phase.recorder;
  const durationMs = phase.endMs - phase.startMs;
  const perSec = (n: number) => (durationMs > 0 ? (n * 1000) / durationMs : 0);
  const result: RunResult = {
    schemaVersion: 1,
    startedAt: args.startedAt.toISOString(),
    target: {
      url: opts.url,
      model: args.model,
      ...(opts.modelVersion ? { modelVersion: opts.modelVersion } : {}),
      binary: opts.binary,
    },
    mode: opts.mode,
    arrival: opts.mode === 'open' ? opts.arrival : null,
    durationMs,
    warmupMs: opts.warmupMs,
    connections: opts.mode === 'open' ? opts.connections : opts.concurrency,
    concurrency: opts.mode === 'closed' ? opts.concurrency : null,
    rate: {
      requestedPerSec: args.requestedPerSec,
      sentPerSec: perSec(r.counts.sent),
      achievedPerSec: perSec(r.counts.ok),
    },
    requests: { ...r.counts },
    lateThresholdMs: opts.lateThresholdMs,
    errorsByClass: { ...r.errorsByClass },
    errorRate: errorRateOf(r.counts.ok, r.counts.errors, r.errorsByClass[INTERRUPTED_CLASS]),
    latency: summarize(r.latency),
    service: summarize(r.service),
    histograms: { latencyUs: encodeHistogram(r.latency), serviceUs: encodeHistogram(r.service) },
    series: seriesOf(args.seriesPhases ?? [phase]),
    interrupted: args.interrupted,
  };
  if (r.versions.size > 0) {
    result.byVersion = Object.fromEntries(
      [...r.versions]
        .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
        .map(([k, v]) => [k, { ok: v.ok, errors: v.errors, latency: summarize(v.latency) }]),
    );
  }
  if (args.steps) {
    result.steps = args.steps;
    result.knee = args.knee ?? null;
  }
  return result;
}

/** The phases' per-second rows on one time line, each placed at its start relative to the first. */
function seriesOf(phases: readonly PhaseOutput[]): SecondRow[] {
  const t0 = phases[0]?.startMs ?? 0;
  return concatSeries(
    phases.map((p) => ({ rows: p.recorder.series(), offsetSeconds: Math.round((p.startMs - t0) / 1000) })),
  );
}
