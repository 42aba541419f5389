// The charts of the bench report (report): latency per second with the targets, the percentile
// spectrum on a "nines" axis with the targets as a requirement line, throughput and errors per
// second, and for a ramp the latency of each step by its rate. SVG strings, from line-chart.
import { ninesOf, type AxisSpec } from './axis.js';
import { lineChart, stackedCharts, type Series, type XMarker } from './line-chart.js';
import {
  latencyTargets,
  stepStarts,
  latencyIntervals,
  targetLimit,
  type BenchPageInput,
  type BenchRunView,
  type SpectrumPointView,
} from './bench-view.js';

const color = { p50: '#4e79a7', p99: '#f28e2b', p999: '#59a14f', max: '#b07aa1', target: '#c0392b', muted: '#888' };

/** Ramp runs: a dotted line where each step starts, labelled with its rate. */
function stepMarkers(r: BenchRunView): XMarker[] {
  if (!r.steps || r.steps.length < 2) return [];
  const starts = stepStarts(r.steps);
  return r.steps.map((s, i) => ({ x: starts[i]!, label: `${s.requestedPerSec}/s` }));
}

/** The shared time axis of the per-second charts: second s covers [s, s+1), so the axis ends after the last one. */
function timeAxis(r: BenchRunView): AxisSpec {
  const last = r.series[r.series.length - 1];
  return {
    label: r.steps ? 'time into the ramp (all steps)' : 'time into the measured run',
    kind: 'time',
    domain: [0, last ? last.second + 1 : 1],
  };
}

/** p50, p99 and max of each second's successes (log scale), with every latency target as a line. */
export function latencyOverTime(input: BenchPageInput): string {
  const rows = input.result.series;
  // Each second's figure sits in its middle; a second without a success is a gap, not a zero.
  const of = (pick: (row: (typeof rows)[number]) => number) =>
    rows.map((row) => [row.second + 0.5, row.ok > 0 && pick(row) > 0 ? pick(row) : NaN] as const);
  const series: Series[] = [
    { name: 'p50', points: of((row) => row.p50Ms), color: color.p50 },
    { name: 'p99', points: of((row) => row.p99Ms), color: color.p99 },
    { name: 'max', points: of((row) => row.maxMs), color: color.max, dashed: true },
  ];
  return lineChart({
    title: 'Latency per second (of the requests that succeeded in that second)',
    x: timeAxis(input.result),
    y: { label: 'latency (ms, log)', kind: 'log' },
    series,
    targets: latencyTargets(input.gates.checks).map((t) => ({ y: t.limitMs, label: t.label, color: color.target })),
    xMarkers: stepMarkers(input.result),
  });
}

/** The deepest nine the spectrum axis shows: the data's or the deepest target's, at least 90%. */
function spectrumNines(points: readonly SpectrumPointView[], targetPercentiles: readonly number[]): number {
  const deepest = Math.max(
    0,
    ...points.map((p) => ninesOf(p.percentile)),
    ...targetPercentiles.filter((q) => q < 100).map(ninesOf),
  );
  return Math.max(1, Math.ceil(deepest - 1e-6));
}

/**
 * Latency by percentile, x = 1/(1-q) on a log axis (each extra nine the same width), like an
 * HdrHistogram plot. The targets form a step line: up to p50 the p50 target, up to p99 the p99
 * target, ...; the curve must stay under it. A max target holds to the right edge.
 */
export function spectrumChart(input: BenchPageInput, title: string): string {
  const { latency, service } = input.spectrum;
  const targets = latencyTargets(input.gates.checks);
  const nines = spectrumNines(
    [...latency, ...service],
    targets.map((t) => t.percentile),
  );
  const rightEdge = 100 * (1 - 10 ** -nines);
  const series: Series[] = [
    { name: 'latency', points: latency.map((p) => [p.percentile, p.valueMs]), color: color.p99 },
    { name: 'service time', points: service.map((p) => [p.percentile, p.valueMs]), color: color.p50, dashed: true },
  ];
  if (targets.length > 0) {
    // At percentile q the requirement is the tightest target at or beyond q (percentiles only grow).
    const points: Array<[number, number]> = targets.map((t, i) => [
      i === 0 ? 0 : targets[i - 1]!.percentile,
      Math.min(...targets.slice(i).map((u) => u.limitMs)),
    ]);
    const last = targets[targets.length - 1]!;
    points.push([Math.min(last.percentile, rightEdge), last.limitMs]);
    if (last.percentile < rightEdge) points.push([rightEdge, last.limitMs]);
    series.push({ name: 'targets', points, color: color.target, curve: 'step', dashed: true });
  }
  const tickValues = [0, 50, ...Array.from({ length: nines }, (_, i) => 100 * (1 - 10 ** -(i + 1)))];
  // Each percentile judged with confidence: its figure and interval, so a target inside the bar reads as undecided.
  const errorBars = latencyIntervals(input.gates.checks).map((b) => ({
    x: b.percentile,
    y: b.valueMs,
    low: b.lowMs,
    high: b.highMs,
    label: b.label,
  }));
  return lineChart({
    title,
    series,
    errorBars,
    x: {
      label: 'percentile (log scale of 1/(1-q): each nine equally wide)',
      kind: 'nines',
      domain: [0, rightEdge],
      tickValues,
    },
    // Log latency too: the median and a tail a hundred times slower both stay readable.
    y: { label: 'latency (ms, log)', kind: 'log' },
  });
}

/** A count per second, held across its second (a step), the last one too. */
function perSecond(name: string, points: Array<[number, number]>, stroke: string): Series {
  const last = points[points.length - 1];
  return { name, points: last ? [...points, [last[0] + 1, last[1]]] : points, curve: 'step', color: stroke };
}

/** Requests sent and answered per second (with the requested rate), and failures per second. */
export function throughputOverTime(input: BenchPageInput): string {
  const r = input.result;
  const rows = r.series;
  const lastSecond = rows.length > 0 ? rows[rows.length - 1]!.second : 0;
  const requested: Series[] = [];
  if (r.steps && r.steps.length > 0) {
    const starts = stepStarts(r.steps);
    const points: Array<[number, number]> = r.steps.map((s, i) => [starts[i]!, s.requestedPerSec]);
    points.push([Math.max(lastSecond + 1, starts[starts.length - 1]!), r.steps[r.steps.length - 1]!.requestedPerSec]);
    requested.push({ name: 'requested', points, curve: 'step', color: color.muted, dashed: true });
  } else if (r.rate.requestedPerSec !== null && rows.length > 0) {
    requested.push({
      name: 'requested',
      points: [
        [0, r.rate.requestedPerSec],
        [lastSecond + 1, r.rate.requestedPerSec],
      ],
      color: color.muted,
      dashed: true,
    });
  }
  const minRps = targetLimit(input.gates.checks, 'minRps');
  // Counts have whole-number ticks; with no failure at all the panel says so over a single 0 tick.
  const noFailures = rows.every((x) => x.errors === 0);
  return stackedCharts({
    title: 'Throughput and errors per second',
    x: timeAxis(r),
    xMarkers: stepMarkers(r),
    panels: [
      {
        y: { label: 'requests/s', integer: true },
        height: 200,
        series: [
          ...requested,
          perSecond(
            'sent',
            rows.map((x) => [x.second, x.sent]),
            color.p50,
          ),
          perSecond(
            'succeeded',
            rows.map((x) => [x.second, x.ok]),
            color.p999,
          ),
        ],
        targets: minRps === undefined ? [] : [{ y: minRps, label: `min rate ${minRps}/s`, color: color.target }],
      },
      {
        y: noFailures ? { label: 'failed/s', tickValues: [0] } : { label: 'failed/s', integer: true },
        height: 110,
        series: [
          perSecond(
            'failed',
            rows.map((x) => [x.second, x.errors]),
            color.target,
          ),
        ],
        note: noFailures ? 'no failures' : undefined,
      },
    ],
  });
}

/** Ramp: p50, p99, p99.9 and max of each step against its requested rate, the knee marked. */
export function rampChart(input: BenchPageInput): string {
  const steps = (input.result.steps ?? []).filter((s) => s.latency.count > 0);
  const at = (pick: (s: (typeof steps)[number]) => number) => steps.map((s) => [s.requestedPerSec, pick(s)] as const);
  const knee = input.result.knee;
  return lineChart({
    title: 'Latency of each ramp step by its requested rate',
    x: { label: 'requested rate (req/s)' },
    y: { label: 'latency (ms, log)', kind: 'log' },
    series: [
      { name: 'p50', points: at((s) => s.latency.p50Ms), color: color.p50 },
      { name: 'p99', points: at((s) => s.latency.p99Ms), color: color.p99 },
      { name: 'p99.9', points: at((s) => s.latency.p999Ms), color: color.p999 },
      { name: 'max', points: at((s) => s.latency.maxMs), color: color.max, dashed: true },
    ],
    targets: latencyTargets(input.gates.checks).map((t) => ({ y: t.limitMs, label: t.label, color: color.target })),
    xMarkers: knee ? [{ x: knee.ratePerSec, label: `knee ${knee.ratePerSec}/s` }] : [],
  });
}
