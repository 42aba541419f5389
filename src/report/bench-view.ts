// What the bench report page reads (report): the parts of a load run's result it draws, declared
// here by shape (report depends on common only; loadtest's RunResult, GateReport and TableModel fit
// them as they are), and the few derived figures the charts share: targets and ramp step starts.
import { formatMs } from '../common/units.js';

/** One second of the run (RunResult.series). */
export interface BenchSecondView {
  second: number;
  sent: number;
  ok: number;
  errors: number;
  /** Latency of the second's successes; meaningless (0) when `ok` is 0. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One rate of a ramp (RunResult.steps). */
export interface BenchStepView {
  requestedPerSec: number;
  achievedPerSec: number;
  durationMs: number;
  errorRate: number;
  latency: { count: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number };
  passed: boolean;
}

/** The parts of a RunResult the page uses. */
export interface BenchRunView {
  startedAt: string;
  target: { url: string; model: string };
  mode: 'open' | 'closed';
  rate: { requestedPerSec: number | null };
  latency: { count: number };
  series: readonly BenchSecondView[];
  steps?: readonly BenchStepView[];
  knee?: { ratePerSec: number; achievedPerSec: number } | null;
}

/** A gate check (GateReport.checks): latency limits in ms, errorRate a fraction, minRps req/s. */
export interface BenchCheckView {
  kind: string;
  metric: string;
  limit: number;
  /** When judged with confidence (loadtest/verdict): the figure and its interval. */
  actual?: number;
  ciLow?: number;
  ciHigh?: number;
  method?: string;
}

/** The summary table as the terminal shows it (loadtest's tableModel). */
export interface BenchTableView {
  title: string;
  head: readonly string[];
  rows: ReadonlyArray<readonly string[]>;
  notes: readonly string[];
  verdict: string;
}

/** A spectrum point: latency in ms at `percentile` (0..100), from the run's full histogram. */
export interface SpectrumPointView {
  percentile: number;
  valueMs: number;
}

/** Everything the page is drawn from; each part comes from the result, nothing is measured here. */
export interface BenchPageInput {
  result: BenchRunView;
  gates: { checks: readonly BenchCheckView[] };
  table: BenchTableView;
  /** Spectra of the reported phase (for a ramp, the step the table shows). */
  spectrum: { latency: readonly SpectrumPointView[]; service: readonly SpectrumPointView[] };
}

/** A latency target: its percentile (100 for max), its limit and a label. */
export interface LatencyTarget {
  percentile: number;
  limitMs: number;
  label: string;
}

const percentileOf: Record<string, [number, string]> = {
  p50: [50, 'p50'],
  p90: [90, 'p90'],
  p95: [95, 'p95'],
  p99: [99, 'p99'],
  p999: [99.9, 'p99.9'],
  max: [100, 'max'],
};

/** The latency targets of the gates, lowest percentile first. */
export function latencyTargets(checks: readonly BenchCheckView[]): LatencyTarget[] {
  return checks
    .filter((c) => c.kind === 'target' && c.metric in percentileOf)
    .map((c) => {
      const [percentile, name] = percentileOf[c.metric]!;
      return { percentile, limitMs: c.limit, label: `${name} target ${formatMs(c.limit)}` };
    })
    .sort((a, b) => a.percentile - b.percentile);
}

/** The latency targets judged with an interval: the measured percentile and its interval, in ms. */
export function latencyIntervals(
  checks: readonly BenchCheckView[],
): Array<{ percentile: number; valueMs: number; lowMs: number; highMs: number; label: string }> {
  return checks
    .filter((c) => c.kind === 'target' && c.metric in percentileOf && c.method === 'block-bootstrap')
    .map((c) => {
      const [percentile, name] = percentileOf[c.metric]!;
      const [v, lo, hi] = [c.actual ?? 0, c.ciLow ?? 0, c.ciHigh ?? 0];
      return {
        percentile,
        valueMs: v,
        lowMs: lo,
        highMs: hi,
        label: `${name} ${formatMs(v)}, interval ${formatMs(lo)}-${formatMs(hi)}`,
      };
    });
}

/** The target of `metric` (minRps, errorRate) when one was given. */
export function targetLimit(checks: readonly BenchCheckView[], metric: string): number | undefined {
  return checks.find((c) => c.kind === 'target' && c.metric === metric)?.limit;
}

/**
 * Where each ramp step starts on the series' time line, in seconds. The series places each step at
 * its real start rounded to a second; the steps run back to back, so their durations add up to it.
 */
export function stepStarts(steps: readonly BenchStepView[]): number[] {
  let atMs = 0;
  return steps.map((s) => {
    const start = Math.round(atMs / 1000);
    atMs += s.durationMs;
    return start;
  });
}
