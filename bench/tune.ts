// Benchmark (issue 9): on the demo model on this machine, `serve tune --objective throughput
// --replicas 1 --batch-sizes 1,8,16,32 --batch-waits 0ms,2ms,5ms,10ms --threads 1,2` must find a
// configuration whose rate is within 10% of the best that the same command with --exhaustive finds,
// in at most a third of its time, and the exhaustive run must take under 30 minutes. Runs both as a
// user would (the CLI, --json, a fresh working folder), the search first, and records the load
// average around each run, since the machine may be shared.
// Writes bench/results/tune.{json,md} (or tune-<tag>.*).
// Usage: npm run build && node dist/bench/tune.js [--window 1s] [--warmup 1s] [--max-windows 5] [--tag NAME]
//   (without them, serve tune's defaults; short windows only to see it work on a busy machine)
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { TuneReport } from '../src/tune/types.js';
import { cliEntry, machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    window: { type: 'string' },
    warmup: { type: 'string' },
    'max-windows': { type: 'string' },
    tag: { type: 'string' },
  },
});
const GRID = [
  '--objective',
  'throughput',
  '--replicas',
  '1',
  '--batch-sizes',
  '1,8,16,32',
  '--batch-waits',
  '0ms,2ms,5ms,10ms',
  '--threads',
  '1,2',
];
const MEASURE = [
  ['--window', values.window],
  ['--warmup', values.warmup],
  ['--max-windows', values['max-windows']],
].flatMap(([flag, v]) => (v === undefined ? [] : [flag!, v]));
const WITHIN = 0.1;
const SHARE = 1 / 3;
const EXHAUSTIVE_LIMIT_MS = 30 * 60_000;

interface Run {
  args: string[];
  report: TuneReport;
  wallMs: number;
  loadBefore: number[];
  loadAfter: number[];
}

/** `serve tune ... --json` in `cwd`; its report and wall time. */
function tune(cwd: string, extra: string[]): Promise<Run> {
  const args = ['tune', '--profile', 'local', ...GRID, ...MEASURE, ...extra, '--json'];
  const loadBefore = os.loadavg();
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({
          args,
          report: JSON.parse(out) as TuneReport,
          wallMs: performance.now() - t0,
          loadBefore,
          loadAfter: os.loadavg(),
        });
      } catch {
        reject(new Error(`serve tune exited ${code} without a report: ${err.slice(0, 1500)}`));
      }
    });
  });
}

/** What the results file keeps of a run: the outcome and every candidate's knee, not every window. */
function summary(r: Run) {
  const { candidates, ...rest } = r.report;
  return {
    args: r.args,
    wallMs: r.wallMs,
    loadBefore: r.loadBefore,
    loadAfter: r.loadAfter,
    ...rest,
    candidates: candidates.map((c) => ({
      config: c.config,
      status: c.status,
      note: c.note,
      passed: c.passed,
      kneePerSec: c.kneePerSec,
      belowPerSec: c.belowPerSec,
      measurements: c.probes.length,
    })),
  };
}

const rate = (r: TuneReport) => r.recommendation?.ratePerSec ?? 0;
const conf = (r: TuneReport) =>
  r.recommendation
    ? `batch ${r.recommendation.maxBatchSize} within ${r.recommendation.batchWaitMs}ms, ${r.recommendation.threads} thread(s)`
    : 'none';
const min = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');

const cwd = await mkdtemp(path.join(os.tmpdir(), 'serve-bench-tune-'));
try {
  const started = new Date().toISOString();
  const host = machine();
  const search = await tune(cwd, []);
  const exhaustive = await tune(cwd, ['--exhaustive']);
  const share = search.wallMs / exhaustive.wallMs;
  const ratio = rate(exhaustive.report) > 0 ? rate(search.report) / rate(exhaustive.report) : 0;
  const checks = [
    {
      check: 'search finds a rate within 10% of the exhaustive best',
      target: `>= ${(1 - WITHIN) * 100}%`,
      measured: `${(ratio * 100).toFixed(1)}% (${rate(search.report)} vs ${rate(exhaustive.report)} req/s)`,
      met: ratio >= 1 - WITHIN,
    },
    {
      check: 'search time against exhaustive time',
      target: '<= 33.3%',
      measured: `${(share * 100).toFixed(1)}% (${min(search.wallMs)} vs ${min(exhaustive.wallMs)})`,
      met: share <= SHARE,
    },
    {
      check: 'exhaustive run time',
      target: '< 30 min',
      measured: min(exhaustive.wallMs),
      met: exhaustive.wallMs < EXHAUSTIVE_LIMIT_MS,
    },
  ];
  const row = (name: string, r: Run) =>
    `| ${name} | ${conf(r.report)} | ${rate(r.report)} | ${r.report.measured} of ${r.report.candidates.length} | ${r.report.probes} | ${min(r.wallMs)} | ${load(r.loadBefore)} -> ${load(r.loadAfter)} |`;
  const knees = exhaustive.report.candidates
    .filter((c) => c.status === 'measured')
    .map((c) => `b${c.config.maxBatchSize}/w${c.config.batchWaitMs}ms/t${c.config.threads}: ${c.kneePerSec ?? 'none'}`)
    .join(', ');
  const md = [
    `# serve tune: search against --exhaustive (throughput, one replica of the demo model)`,
    '',
    `${started}, ${host}`,
    '',
    `\`serve tune --profile local ${[...GRID, ...MEASURE].join(' ')}\`, then the same with \`--exhaustive\`; each measurement is open-loop windows of ${values.window ?? '1s'} after ${values.warmup ?? '1s'} of warmup, until stable (at most ${values['max-windows'] ?? 5} windows).`,
    '',
    '| check | target | measured | |',
    '|---|---|---|---|',
    ...checks.map((c) => `| ${c.check} | ${c.target} | ${c.measured} | ${c.met ? 'met' : '**NOT met**'} |`),
    '',
    '| run | recommendation | knee req/s | configurations measured | measurements | time | load average before -> after |',
    '|---|---|---|---|---|---|---|',
    row('search', search),
    row('exhaustive', exhaustive),
    '',
    `Knees found by the exhaustive run: ${knees}.`,
    '',
    `The machine has ${os.cpus().length} CPUs; the load average is of the whole machine, so anything above the benchmark's own load (about 2: a replica and the load generator) is other work, and the figures vary with it.`,
    '',
  ].join('\n');
  const dir = await writeResults(
    values.tag ? `tune-${values.tag}` : 'tune',
    { started, host, measure: MEASURE, checks, search: summary(search), exhaustive: summary(exhaustive) },
    md,
  );
  process.stdout.write(`${md}\nwritten to ${dir}\n`);
} finally {
  await rm(cwd, { recursive: true, force: true });
}
