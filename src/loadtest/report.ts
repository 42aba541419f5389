// Report models (loadtest, pure): the rows of the result table and the live progress line, as plain
// strings. The CLI draws the rows with cli-table3; nothing here prints.
import { formatMs } from '../common/units.js';
import { NO_SUCCESS_NOTE } from './gates.js';
import type { GateCheck, GateMetric, GateReport, LatencySummary, ProgressSnapshot, RunResult } from './types.js';

/** The result table as data: a title, a header, rows of cells, and notes printed below. */
export interface TableModel {
  title: string;
  head: string[];
  rows: string[][];
  notes: string[];
  verdict: string;
}

const rows: Array<[GateMetric, string, keyof LatencySummary | null]> = [
  ['minRps', 'rate', null],
  ['p50', 'p50', 'p50Ms'],
  ['p90', 'p90', 'p90Ms'],
  ['p95', 'p95', 'p95Ms'],
  ['p99', 'p99', 'p99Ms'],
  ['p999', 'p99.9', 'p999Ms'],
  ['max', 'max', 'maxMs'],
  ['errorRate', 'error rate', null],
];

const rps = (n: number) => `${n.toFixed(1)} req/s`;
const pct = (f: number) => `${+(f * 100).toFixed(3)}%`;

/** An interval and outcome when the checks were judged with confidence (loadtest/verdict). */
type MaybeJudged = GateCheck & { outcome?: string; ciLow?: number; ciHigh?: number; method?: string };

function verdictCell(checks: MaybeJudged[]): string {
  if (checks.length === 0) return '-';
  if (checks.some((c) => c.outcome === 'missed' || (c.outcome === undefined && !c.passed))) return 'FAIL';
  return checks.some((c) => c.outcome === 'inconclusive') ? '?' : 'PASS';
}

/** " [low-high]" after a measured figure whose check has a bootstrap interval. */
function intervalText(c: MaybeJudged | undefined, format: (n: number) => string): string {
  return c?.method === 'block-bootstrap' && c.ciLow !== undefined && c.ciHigh !== undefined
    ? ` [${format(c.ciLow)}-${format(c.ciHigh)}]`
    : '';
}

/** Builds the table of `result` with each figure beside its target and baseline, PASS/FAIL. */
export function tableModel(result: RunResult, gates: GateReport): TableModel {
  const hasBaseline = gates.checks.some((c) => c.kind === 'baseline');
  const head = [
    'metric',
    result.mode === 'open' ? 'latency' : 'latency (closed loop)',
    'service time',
    'target',
    ...(hasBaseline ? ['baseline'] : []),
    'result',
  ];
  const out: string[][] = [];
  for (const [metric, label, key] of rows) {
    const target = gates.checks.find((c) => c.kind === 'target' && c.metric === metric);
    const baseline = gates.checks.find(
      (c) => c.kind === 'baseline' && (c.metric === metric || (metric === 'minRps' && c.metric === 'throughput')),
    );
    let measured: string;
    let service = '';
    let targetText = target ? '' : '-';
    if (key) {
      // Nothing succeeded: there is no latency to show, and 0 would read as fast.
      measured =
        result.latency.count === 0 ? 'n/a' : formatMs(result.latency[key] as number) + intervalText(target, formatMs);
      service = result.service.count === 0 ? 'n/a' : formatMs(result.service[key] as number);
      if (target) targetText = `<= ${formatMs(target.limit)}`;
    } else if (metric === 'minRps') {
      const req = result.rate.requestedPerSec;
      measured =
        `${rps(result.rate.achievedPerSec)}${intervalText(target, (n) => n.toFixed(1))}` +
        `${req === null ? '' : ` of ${rps(req)}`}`;
      if (target) targetText = `>= ${rps(target.limit)}`;
    } else {
      measured = pct(result.errorRate) + intervalText(target, pct);
      if (target) targetText = `<= ${pct(target.limit)}`;
    }
    const baseText = !baseline ? '-' : metric === 'minRps' ? rps(baseline.baseline!) : formatMs(baseline.baseline!);
    const checks = [target, baseline].filter((c): c is GateCheck => c !== undefined);
    out.push([label, measured, service, targetText, ...(hasBaseline ? [baseText] : []), verdictCell(checks)]);
  }
  const rq = result.requests;
  const notes = [
    `requests: ${rq.scheduled} due, ${rq.sent} sent, ${rq.ok} ok, ${rq.errors} failed` +
      (result.mode === 'open'
        ? `, ${rq.sentLate} sent late (> ${formatMs(result.lateThresholdMs)} behind ` +
          `schedule), ${rq.notSent} never sent`
        : ''),
  ];
  const classes = Object.entries(result.errorsByClass);
  if (classes.length > 0) notes.push(`errors by class: ${classes.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (result.steps) {
    notes.push(`ramp: ${result.steps.map((s) => `${s.requestedPerSec}${s.passed ? '' : '✗'}`).join(' ')}` + ` req/s`);
    notes.push(
      result.knee
        ? `knee: ${rps(result.knee.ratePerSec)} (achieved ` +
            `${rps(result.knee.achievedPerSec)}); the table shows that step`
        : 'knee: none, the first step already missed the targets',
    );
  }
  // One line per version only when answers came from more than one (a rollout): with one, it would repeat the table.
  const versions = Object.entries(result.byVersion ?? {});
  for (const [v, x] of versions.length > 1 ? versions : []) {
    const lat =
      x.latency.count === 0
        ? 'no successes'
        : `p50 ${formatMs(x.latency.p50Ms)}, p95 ${formatMs(x.latency.p95Ms)}, p99 ` +
          `${formatMs(x.latency.p99Ms)}, max ${formatMs(x.latency.maxMs)}`;
    notes.push(`version ${v}: ${x.ok} ok, ${x.errors} failed; ${lat}`);
  }
  if (result.latency.count === 0) notes.push(`latency: ${NO_SUCCESS_NOTE}`);
  if (result.interrupted) notes.push('interrupted: the figures cover only what ran before the stop');
  const checks = gates.checks as MaybeJudged[];
  const failed = checks.filter((c) => c.outcome === 'missed' || (c.outcome === undefined && !c.passed));
  const open = checks.filter((c) => c.outcome === 'inconclusive');
  const verdict =
    checks.length === 0
      ? 'no targets given: nothing gated'
      : failed.length > 0
        ? `FAIL: ${failed.map((c) => c.message).join('; ')}`
        : open.length > 0
          ? `INCONCLUSIVE: ${open.map((c) => c.message).join('; ')}`
          : `PASS: all ${checks.length} check${checks.length === 1 ? '' : 's'} met`;
  return { title: titleOf(result), head, rows: out, notes, verdict };
}

function titleOf(r: RunResult): string {
  const load =
    r.mode === 'open'
      ? `open loop, ${r.arrival}, ${r.rate.requestedPerSec ?? '?'} req/s, ` + `${r.connections} connections max`
      : `closed loop, ${r.concurrency} concurrent`;
  const warmup = r.warmupMs > 0 ? ` after ${formatMs(r.warmupMs)} of warmup` : ', no warmup';
  return `${r.target.model} at ${r.target.url}: ${load}, ${formatMs(r.durationMs)} ` + `measured${warmup}`;
}

/** One line of live progress, e.g. "run 12s/30s  199.0 req/s of 200  p99 23.4ms  errors 0". */
export function renderProgressLine(p: ProgressSnapshot): string {
  const step = p.step ? ` step ${p.step.index + 1}/${p.step.count}` : '';
  const secs = (ms: number) => `${Math.floor(ms / 1000)}s`;
  const of = p.requestedPerSec === null ? '' : ` of ${p.requestedPerSec}`;
  return (
    `${p.phase}${step} ${secs(p.elapsedMs)}/${secs(p.totalMs)}  ` +
    `${p.currentPerSec.toFixed(1)} req/s${of}  p99 ${formatMs(p.p99MsSoFar)}` +
    `  errors ${p.errors}  in flight ${p.inFlight}` +
    (p.backlog > 0 || p.sentLate > 0 ? `  backlog ${p.backlog}  late ${p.sentLate}` : '')
  );
}
