// The `serve bench --html` page (report, pure): the verdict and summary table, latency per second,
// the percentile spectrum, throughput and errors per second, and for a ramp each step by its rate.
// One self-contained HTML string from the run's plain data; the CLI only writes it to a file.
import { formatMs } from '../common/units.js';
import { latencyOverTime, rampChart, spectrumChart, throughputOverTime } from './bench-charts.js';
import type { BenchPageInput, BenchStepView } from './bench-view.js';
import { htmlPage, type PageSection } from './page.js';

export type { BenchPageInput } from './bench-view.js';

/**
 * The page of one `serve bench` run. `verdict` replaces the table's verdict line when the run is
 * not judged (every request failed to connect), as the terminal table does.
 */
export function benchReportHtml(input: BenchPageInput, verdict?: string): string {
  const r = input.result;
  const t = input.table;
  const judged = verdict === undefined;
  const rows = judged ? t.rows : t.rows.map((row) => [...row.slice(0, -1), '-']);
  const sections: PageSection[] = [
    { heading: 'Summary', paragraphs: [verdict ?? t.verdict], tables: [{ head: t.head, rows }], notes: t.notes },
    {
      heading: 'Latency over time',
      charts: [latencyOverTime(input)],
      notes: [
        'Latency runs from the time each request was due to be sent (what a user waits), ' +
          'so a stalled server shows up even when the client could not send on time. The ' +
          'dotted red lines are the targets.',
      ],
    },
    spectrumSection(input),
    { heading: 'Throughput and errors over time', charts: [throughputOverTime(input)] },
  ];
  if (r.steps && r.steps.length > 0) sections.push(rampSection(input, r.steps));
  return htmlPage({
    title: `serve bench: ${r.target.model}`,
    subtitle: `${t.title} · started ${r.startedAt}`,
    sections,
  });
}

function spectrumSection(input: BenchPageInput): PageSection {
  const r = input.result;
  const reported =
    r.steps && r.steps.length > 0 ? r.steps.find((s) => s.requestedPerSec === r.rate.requestedPerSec) : undefined;
  const heading = 'Percentile spectrum';
  if (input.spectrum.latency.length === 0)
    return { heading, paragraphs: ['No request succeeded: there is no latency to plot.'] };
  const title = reported
    ? `Latency by percentile at ${reported.requestedPerSec} req/s (the ramp step the ` + `summary shows)`
    : 'Latency by percentile over the whole measured run';
  const notes = [
    'Each extra nine takes the same width, so the tail is as visible as the median. ' +
      '"latency" counts from the time each request was due; "service time" from the ' +
      'time it was actually sent; a gap between them is time spent waiting to be sent. ' +
      'The curve ends at the slowest request. The dashed red steps are the targets: ' +
      'the curve must stay under them.',
  ];
  if (reported)
    notes.push(
      'For a ramp the result keeps the full histogram of the reported step only (the ' +
        'highest rate that met the targets, else the first), so the spectrum is that ' +
        "step's; the other steps are summarised in the ramp table below.",
    );
  return { heading, charts: [spectrumChart(input, title)], notes };
}

function rampSection(input: BenchPageInput, steps: readonly BenchStepView[]): PageSection {
  const kneeRate = input.result.knee?.ratePerSec;
  const ms = (s: BenchStepView, v: number) => (s.latency.count === 0 ? 'n/a' : formatMs(v));
  const rows = steps.map((s) => [
    `${s.requestedPerSec} req/s`,
    `${s.achievedPerSec.toFixed(1)} req/s`,
    ms(s, s.latency.p50Ms),
    ms(s, s.latency.p99Ms),
    ms(s, s.latency.p999Ms),
    ms(s, s.latency.maxMs),
    `${+(s.errorRate * 100).toFixed(3)}%`,
    (s.passed ? 'met' : 'missed') + (s.requestedPerSec === kneeRate ? ' (knee)' : ''),
  ]);
  return {
    heading: 'Ramp steps',
    charts: [rampChart(input)],
    tables: [{ head: ['requested', 'achieved', 'p50', 'p99', 'p99.9', 'max', 'error rate', 'targets'], rows }],
    notes: [
      kneeRate === undefined
        ? 'No knee: the first step already missed the targets.'
        : `Knee: ${kneeRate} req/s, the highest rate before the first step that missed ` +
          `the targets (or did not reach 90% of its rate).`,
    ],
  };
}
