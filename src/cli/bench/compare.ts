// `serve bench --against URL` and `--baseline FILE` compared (cli): the --against and --calibrate
// flags, the comparison of the candidate with its baseline, its lines under the table, and how
// the comparison joins the run's verdict.
import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { formatMs } from '../../common/units.js';
import {
  COMPARED,
  compareRuns,
  comparisonRunVerdict,
  windowsOfSamples,
  type ABRun,
  type BenchOptions,
  type Comparison,
  type ComparisonVerdict,
  type IntervalSample,
  type RunResult,
  type RunVerdict,
} from '../../loadtest/index.js';
import type { WindowCounts } from '../../stats/index.js';
import type { BenchVerdict } from './verdict.js';

export interface CompareFlags {
  against?: string;
  calibrate?: boolean;
}

/** What the flags ask for: the URL of the baseline side (the target itself when calibrating). */
export interface CompareMode {
  baselineUrl?: string;
  calibrate: boolean;
}

/** Checks the combination; one line naming the flag when wrong. */
export function parseCompareFlags(f: CompareFlags, options: BenchOptions, baselineFile?: string): CompareMode {
  if (f.against === undefined && !f.calibrate) return { calibrate: false };
  const flag = f.calibrate ? '--calibrate' : '--against';
  if (f.calibrate && f.against !== undefined)
    throw new UserError('--calibrate runs the target against itself: leave out --against');
  if (baselineFile !== undefined)
    throw new UserError(`${flag} measures its own baseline: leave out --baseline ${baselineFile}`);
  if (options.ramp) throw new UserError(`${flag}: give one rate (--rps 200), not a ramp`);
  if (f.against !== undefined) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(f.against).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new UserError(`--against ${f.against}: give the baseline server's http:// or https:// URL`);
  }
  return { baselineUrl: f.against ?? options.url, calibrate: Boolean(f.calibrate) };
}

const pct = (f: number) => `${+(f * 100).toFixed(1)}%`;
const VERDICT_WORD: Record<ComparisonVerdict, string> = {
  regression: 'REGRESSION',
  'no-regression': 'NO REGRESSION',
  inconclusive: 'INCONCLUSIVE',
};

/** The comparison under the table: one line per percentile, the notes, and the verdict line. */
export function renderComparison(c: Comparison, ab?: Pick<ABRun, 'blockMs' | 'order'>): string {
  const how = ab
    ? `interleaved, ${ab.order.length} blocks of ${formatMs(ab.blockMs)} (${ab.order}, A = candidate)`
    : `from ${c.baseline.file ?? 'a file'}`;
  const lines = [`compared with ${c.baseline.url} (${how}), candidate / baseline at ${pct(c.confidence)}:`];
  for (const [metric] of COMPARED) {
    const p = c.percentiles[metric];
    const interval =
      p.method === 'point' ? ` (${p.note ?? 'point estimate'})` : ` [${p.ciLow.toFixed(3)}-${p.ciHigh.toFixed(3)}]`;
    lines.push(
      `  ${metric} ${formatMs(p.candidateMs)} vs ${formatMs(p.baselineMs)}: ratio ${p.ratio.toFixed(3)}${interval}` +
        `${p.mde === null ? '' : `, detects ${pct(p.mde)}`}: ${p.verdict}`,
    );
  }
  for (const n of c.notes) lines.push(`  note: ${n}`);
  const why =
    c.verdict === 'regression'
      ? `a ratio's interval lies wholly above ${(1 + c.maxRegression).toFixed(2)}`
      : c.verdict === 'no-regression'
        ? `every ratio's interval lies below ${(1 + c.maxRegression).toFixed(2)} (--max-regression ${pct(c.maxRegression)})`
        : `an interval straddles ${(1 + c.maxRegression).toFixed(2)}: a longer --duration would likely decide it`;
  lines.push(`${VERDICT_WORD[c.verdict]}: ${why}`);
  return lines.join('\n') + '\n';
}

/** A regression larger than the generator's measured lag could make it (lag adds to both sides' latency). */
function clearRegression(c: Comparison, gates: BenchVerdict): boolean {
  const a = gates.audit;
  const lagMs = a?.unreliable ? Math.max(a.eventLoopDelayP99Ms ?? 0, a.meanLatenessMs) : 0;
  return Object.values(c.percentiles).some(
    (p) => p.verdict === 'regression' && p.ciLow * p.baselineMs - lagMs > (1 + c.maxRegression) * p.baselineMs,
  );
}

const rank: Record<RunVerdict, number> = { pass: 0, inconclusive: 1, unreliable: 2, fail: 3 };

/**
 * The comparison of `result` with its baseline: measured beside it (--against; its verdict then
 * joins the run's: a regression fails, an undecided comparison is inconclusive), or read from a
 * --baseline file (whose latency checks already judge the run; the comparison is shown beside).
 * A comparison the generator's own lag could explain is "unreliable", as the gates are.
 */
export function compareWith(
  result: RunResult,
  gates: BenchVerdict,
  o: {
    ab?: ABRun;
    /** The candidate's per-second windows (with --against, only the candidate's). */
    candidateWindows: readonly IntervalSample[];
    baseline?: RunResult;
    baselineWindows?: WindowCounts[];
    file?: string;
    seed: number;
    confidence: number;
    maxRegression: number;
  },
): { comparison: Comparison; text: string } | undefined {
  const base = o.ab?.baseline.result ?? o.baseline;
  if (!base || result.interrupted) return undefined;
  const comparison = compareRuns(
    { latency: result.latency, windows: result.steps ? undefined : windowsOfSamples(o.candidateWindows) },
    { latency: base.latency, windows: o.ab ? windowsOfSamples(o.ab.baseline.windows) : o.baselineWindows },
    o,
    o.ab
      ? { source: 'against', url: base.target.url, startedAt: base.startedAt }
      : { source: 'file', url: base.target.url, startedAt: base.startedAt, ...(o.file && { file: o.file }) },
  );
  if (o.ab && gates.verdict !== 'unreliable') {
    // judgeRun left a failed target standing only when the generator's lag cannot explain it.
    const clearFail = gates.verdict === 'fail' || clearRegression(comparison, gates);
    const joined = comparisonRunVerdict(comparison.verdict);
    if (rank[joined] > rank[gates.verdict]) gates.verdict = joined;
    if (gates.audit?.unreliable && gates.verdict !== 'pass' && !clearFail) gates.verdict = 'unreliable';
    gates.passed = gates.verdict === 'pass';
  }
  return { comparison, text: renderComparison(comparison, o.ab) };
}

/** The comparison flags of `serve bench`. */
export function addCompareOptions(cmd: Command): Command {
  return cmd
    .option(
      '--against <url>',
      'compare --url (the candidate) with this baseline server, measured in interleaved blocks ' +
        '(A B B A ...), --duration each; exit 1 on a regression beyond --max-regression, 0 on none, ' +
        '4 when undecided. e.g. --url http://new:8000 --against http://old:8000',
    )
    .option(
      '--calibrate',
      'run the target against itself (A/A) and print the smallest regression this --rps and ' +
        '--duration can detect on this host, and the --duration needed to detect --max-regression. ' +
        'e.g. --url http://127.0.0.1:8000 --rps 200 --duration 30s --calibrate',
    );
}

/** How comparisons work, for `serve bench --help`. */
export const COMPARE_HELP =
  `
--against URL runs the same schedule against --url (the candidate) and URL ` +
  `(the baseline) in
interleaved blocks of up to 5 s (A B B A ...), --duration ` +
  `each, so drift of the host falls on both.
For p50, p95 and p99 it reports ` +
  `candidate/baseline with an interval from both sides' per-second
windows: ` +
  `a regression when the interval lies wholly above 1 + --max-regression, none ` +
  `when wholly
below, else inconclusive, with the smallest change the run could ` +
  `detect. --calibrate runs the target
against itself and says how long a run ` +
  `must be to detect --max-regression on this host. --json holds
the ` +
  `per-second windows, so a saved run is a --baseline with intervals too.
`;
