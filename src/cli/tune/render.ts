// Renders a TuneReport for the terminal (cli): the ranked table of candidates, the recommendation
// and its reason, the progress line. The HTML page is tune-html.ts.
import { formatMs } from '../../common/units.js';
import { costText } from '../../tune/cost.js';
import { configText } from '../../tune/space.js';
import type { TuneProgress } from '../../tune/tuner.js';
import type { Candidate, TuneReport } from '../../tune/types.js';
import { compactTable } from '../table.js';

export const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The rate a candidate stands for: its knee (throughput) or what it answered (cost). */
export function rateCell(c: Candidate, r: TuneReport): string {
  if (r.objective === 'throughput') {
    if (typeof c.kneePerSec === 'number') return `${c.kneePerSec}`;
    if (c.belowPerSec !== undefined) return `< ${c.belowPerSec}`;
    return c.status === 'measured' ? 'none' : '-';
  }
  return c.result ? c.result.achievedPerSec.toFixed(1) : '-';
}

function resultCell(c: Candidate): string {
  if (c.status !== 'measured') return c.status;
  return c.passed ? 'PASS' : 'FAIL';
}

function stableCell(c: Candidate): string {
  if (!c.result) return '-';
  const r = c.result;
  const dropped = r.droppedWindows ? `, ${r.droppedWindows} dropped` : '';
  const times = (r.measurements ?? 1) > 1 ? `, ${r.measurements} runs` : '';
  return r.overloaded ? 'overloaded' : `${r.stable ? 'yes' : 'no'} (${r.windows}${dropped}${times})`;
}

/** "met: p99 41.2 ms [38.0, 45.1] <= 100 ms": how sure, and the figure that decided it. */
export function judgedCell(c: Candidate): string {
  return c.confidence ? `${c.confidence}: ${c.judgedBy ?? ''}` : '-';
}

export function noteCell(c: Candidate): string {
  if (c.note) return c.note;
  return c.passed ? '' : (c.result?.missed ?? []).join('; ');
}

/** The ranked table, the recommendation (flagged when not `decided` with confidence) and how the run ended. */
export function renderTune(r: TuneReport, decided = true): string {
  const what =
    r.objective === 'cost'
      ? `cheapest configuration meeting every target at ${r.ratePerSec} req/s`
      : `highest rate ${r.scope === 'cluster' ? 'the cluster' : 'one replica'} sustains ` + `within the targets`;
  const lines = [
    `${r.profile.name}: ${what} (${r.exhaustive ? 'every configuration' : 'search'}` +
      `; ${r.measured} of ${r.candidates.length} configurations measured, ${r.probes} ` +
      `measurement${r.probes === 1 ? '' : 's'}, ${formatMs(r.elapsedMs)})`,
  ];
  const head = [
    '#',
    'batch',
    'wait',
    'replicas',
    'threads',
    r.objective === 'throughput' ? 'knee req/s' : 'req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'errors',
    'cost',
    'result',
    'judged',
    'stable',
    'note',
  ];
  const shown = r.candidates.filter(
    (c) => c.status !== 'skipped' || c.note === undefined || !c.note.startsWith('not tried'),
  );
  const rows = shown.map((c, i) => {
    const p = c.result;
    return [
      i + 1,
      c.config.maxBatchSize,
      `${c.config.batchWaitMs}ms`,
      c.config.replicas,
      c.config.threads,
      rateCell(c, r),
      p ? ms(p.latency.p50Ms) : '-',
      p ? ms(p.latency.p95Ms) : '-',
      p ? ms(p.latency.p99Ms) : '-',
      p ? ms(p.latency.maxMs) : '-',
      p ? `${+(p.errorRate * 100).toFixed(2)}%` : '-',
      costText(c.cost),
      resultCell(c),
      judgedCell(c),
      stableCell(c),
      noteCell(c),
    ];
  });
  lines.push(compactTable(head, rows, 60));
  const untried = r.candidates.length - shown.length;
  if (untried > 0)
    lines.push(
      `${untried} more configuration${untried === 1 ? '' : 's'} not tried: the search ` +
        `did not need ${untried === 1 ? 'it' : 'them'} (--exhaustive tries every one)`,
    );
  const rec = r.recommendation;
  if (rec) lines.push(`Recommendation${decided ? '' : ' (not decided with confidence)'}: ${configText(rec)}`);
  lines.push(`${rec ? 'Why' : 'No recommendation'}: ${r.reason}`);
  if (r.stopped === 'budget')
    lines.push(`Stopped: the budget (${formatMs(r.budgetMs ?? 0)}) ran out; this is the best ` + `found so far.`);
  if (r.stopped === 'interrupted') lines.push('Stopped: interrupted; this is the best found so far.');
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** "candidate 3 of about 11: batch 16 within 2ms, 1 replica x 1 thread at 420 req/s, window 2 · 1m12s elapsed, 8m48s left". */
export function renderTuneProgress(p: TuneProgress): string {
  const left = p.budgetLeftMs === null ? '' : `, ${clock(p.budgetLeftMs)} left`;
  const win = p.window === 0 ? 'applying' : `window ${p.window}`;
  return (
    `candidate ${p.candidate} of about ${p.about}: ${configText(p.config)} at ` +
    `${p.ratePerSec} req/s, ${win} · ${clock(p.elapsedMs)} elapsed${left}`
  );
}

function clock(msValue: number): string {
  const s = Math.round(msValue / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
