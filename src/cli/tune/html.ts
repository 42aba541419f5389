// The `serve tune --html` page (cli): each measured candidate as a row with what the search decided
// on (p99 and cost, the rate it carried), p99 against rate where candidates were measured at several
// rates (throughput), targets drawn as lines, and the table, from report/.
import { formatMs } from '../../common/units.js';
import { lineChart, type Series, type TargetLine } from '../../report/line-chart.js';
import { htmlPage } from '../../report/page.js';
import { rowChart, type RowColumn } from '../../report/row-chart.js';
import { costText, money } from '../../tune/cost.js';
import { configText } from '../../tune/space.js';
import type { Candidate, TuneReport } from '../../tune/types.js';
import { judgedCell, ms, noteCell, rateCell } from './render.js';

const short = (c: Candidate) =>
  `b${c.config.maxBatchSize} w${c.config.batchWaitMs}ms r${c.config.replicas} t` + `${c.config.threads}`;

/** The candidates the table lists (those the search did not need are left out), in its order. */
function listed(r: TuneReport): Candidate[] {
  return r.candidates.filter((c) => c.status !== 'skipped' || !c.note?.startsWith('not tried'));
}

/** p99 against the requested rate, a line per candidate: only where the probes ran at more than one rate. */
function rateChart(r: TuneReport, measured: readonly Candidate[], targets: TargetLine[]): string | undefined {
  if (new Set(measured.flatMap((c) => c.probes.map((p) => p.ratePerSec))).size < 2) return undefined;
  const curves: Series[] = measured.map((c) => ({
    name: short(c),
    points: [...c.probes]
      .sort((a, b) => a.ratePerSec - b.ratePerSec)
      .map((p) => [p.ratePerSec, p.latency.p99Ms] as const),
    dashed: !c.passed,
    markers: true,
  }));
  const height = Math.max(240, 16 * curves.length + 40);
  return lineChart({
    title: 'p99 against the requested rate, each candidate (dashed: did not meet the targets)',
    x: { label: 'requested rate (req/s)' },
    y: { label: 'p99 (ms)', kind: 'log' },
    series: curves,
    targets,
    height,
  });
}

/** A row per measured candidate: the figures the objective ranks by, coloured by pass/fail, the recommendation shaded. */
function candidateChart(r: TuneReport, rows: readonly Candidate[], numbers: ReadonlyMap<Candidate, number>): string {
  const best = r.recommendation ? rows[0] : undefined;
  const priced = rows.some((c) => c.cost.perHour !== null);
  const p99: RowColumn = {
    label: r.objective === 'cost' ? `p99 at ${r.ratePerSec} req/s (ms)` : 'p99 at the knee, or where it missed (ms)',
    values: rows.map((c) => c.result?.latency.p99Ms),
    target:
      r.targets.p99Ms !== undefined
        ? { value: r.targets.p99Ms, label: `p99 target ${formatMs(r.targets.p99Ms)}` }
        : undefined,
  };
  const cost: RowColumn = {
    label: priced ? 'cost per hour' : 'CPUs (replicas x threads)',
    values: rows.map((c) => c.cost.perHour ?? c.cost.cpus),
    integer: !priced,
  };
  const rate: RowColumn =
    r.objective === 'cost'
      ? {
          label: 'answered (req/s)',
          values: rows.map((c) => c.result?.achievedPerSec),
          target: r.ratePerSec !== null ? { value: r.ratePerSec, label: `target ${r.ratePerSec} req/s` } : undefined,
        }
      : { label: 'knee (req/s)', values: rows.map((c) => c.kneePerSec ?? undefined) };
  const title =
    r.objective === 'cost'
      ? `Each candidate at ${r.ratePerSec} req/s: p99 and cost (the cheapest that meets ` + `the targets wins)`
      : 'Each candidate: its knee, p99 there and cost (the highest knee wins)';
  return rowChart({
    title,
    key: 'green: met every target · red: missed one · shaded: the recommendation · #: row of the table',
    items: rows.map((c) => ({
      label: `#${numbers.get(c)} ${short(c)}`,
      status: c.passed ? 'pass' : 'fail',
      highlight: c === best,
    })),
    columns: r.objective === 'cost' ? [p99, cost, rate] : [rate, p99, cost],
  });
}

/** Says so when cost cannot tell the candidates apart, so the chart's flat cost column is not a puzzle. */
function sameCostNote(r: TuneReport, rows: readonly Candidate[]): string[] {
  const costs = new Set(rows.map((c) => costText(c.cost)));
  if (r.objective !== 'cost' || rows.length < 2 || costs.size > 1) return [];
  return [
    `Every measured candidate costs the same (${costText(rows[0]!.cost)}), so cost ` +
      `did not decide: among those that met the targets the one furthest inside them ` +
      `ranks first (lowest worst ratio of a figure to its target).`,
  ];
}

/** The page: the recommendation, each candidate's figures, p99 against rate (throughput), the table. */
export function tuneHtml(r: TuneReport): string {
  const table = listed(r);
  const numbers = new Map(table.map((c, i) => [c, i + 1]));
  const measured = table.filter((c) => c.status === 'measured' && c.probes.length > 0);
  const targets: TargetLine[] =
    r.targets.p99Ms !== undefined ? [{ y: r.targets.p99Ms, label: `p99 target ${formatMs(r.targets.p99Ms)}` }] : [];
  const byRate = rateChart(r, measured, targets);
  const rec = r.recommendation;
  const rows = table.map((c, i) => [
    i + 1,
    configText(c.config),
    rateCell(c, r),
    c.result ? ms(c.result.latency.p99Ms) : '-',
    costText(c.cost),
    c.status === 'measured' ? (c.passed ? 'PASS' : 'FAIL') : c.status,
    judgedCell(c),
    noteCell(c),
  ]);
  return htmlPage({
    title: `serve tune: ${r.profile.name} (${r.objective})`,
    subtitle:
      `${r.startedAt} · ${r.measured} of ${r.candidates.length} configurations ` +
      `measured in ${formatMs(r.elapsedMs)} · stopped: ${r.stopped}`,
    sections: [
      {
        heading: 'Recommendation',
        paragraphs: [
          rec
            ? `${configText(rec)}` + `${rec.cost.perHour !== null ? ` (${money(rec.cost.perHour)}/h)` : ''}.`
            : 'None.',
          r.reason,
        ],
      },
      {
        heading: 'Candidates measured',
        charts: measured.length > 0 ? [candidateChart(r, measured, numbers)] : [],
        paragraphs: measured.length > 0 ? [] : ['No candidate was measured.'],
        notes: sameCostNote(r, measured),
      },
      ...(byRate ? [{ heading: 'p99 against rate', charts: [byRate] }] : []),
      {
        heading: 'Candidates',
        tables: [
          {
            head: [
              '#',
              'configuration',
              r.objective === 'throughput' ? 'knee req/s' : 'req/s',
              'p99 ms',
              'cost',
              'result',
              'judged',
              'note',
            ],
            rows,
          },
        ],
      },
    ],
  });
}
