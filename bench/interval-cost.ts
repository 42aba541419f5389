// Benchmark (issue 24, target "the interval computation adds under 50 ms to a 60 s run's report"):
// what judging a 60 s run with intervals costs after the run, as `serve bench` does it: decoding the
// 60 per-second HDR histograms into windows, the gates' percentile intervals (p50, p95, p99), the
// error-rate and throughput intervals, and, for --against or --baseline, the ratio intervals and the
// --json windows' size. Log-normal latencies (median 20 ms, sigma 0.6) recorded into real HDR
// histograms at each rate. Median of 7 timed repetitions after 2 untimed ones.
// Usage: npm run build && node dist/bench/interval-cost.js [--rates 200,1000,5000] [--seconds 60] [--tag NAME]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../src/common/random.js';
import { bucketsOf, encodeHistogram, newHistogram, recordMs } from '../src/loadtest/histogram.js';
import { compareRuns, judgeGates, windowsField, windowsOfSamples } from '../src/loadtest/index.js';
import type { GateReport, IntervalSample, RunResult } from '../src/loadtest/index.js';
import type { WindowCounts } from '../src/stats/index.js';
import { machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,1000,5000' },
    seconds: { type: 'string', default: '60' },
    tag: { type: 'string' },
  },
});
const seconds = Number(values.seconds);

function samples(rate: number, seed: number): IntervalSample[] {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out: IntervalSample[] = [];
  for (let s = 0; s < seconds; s++) {
    const h = newHistogram();
    for (let i = 0; i < rate; i++) recordMs(h, 20 * Math.exp(0.6 * gauss()));
    // As the recorder hands them over: encoded (for --json and the HDR log) and read as buckets while live.
    out.push({
      startMs: s * 1000,
      endMs: (s + 1) * 1000,
      latencyUs: encodeHistogram(h),
      maxUs: h.maxValue,
      buckets: bucketsOf(h),
    });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Median CPU milliseconds (user + system) of `fn`: on a host shared with other work the wall clock
 * measures the neighbours; the CPU this process spent is what the report adds. Wall time beside it.
 */
const wall: Record<string, number> = {};
function time(fn: () => void, name = ''): number {
  for (let i = 0; i < 2; i++) fn();
  const t: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    w.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    t.push((c.user + c.system) / 1000);
  }
  wall[name] = median(w);
  return median(t);
}

const rows: Array<Record<string, number>> = [];
for (const rate of values.rates!.split(',').map(Number)) {
  const a = samples(rate, 1);
  const b = samples(rate, 2);
  const series = a.map((_, i) => ({
    second: i,
    sent: rate,
    ok: rate,
    errors: i % 7 === 0 ? 1 : 0,
    p50Ms: 0,
    p99Ms: 0,
    maxMs: 0,
  }));
  const result = {
    latency: { count: rate * seconds, p50Ms: 20, p95Ms: 53, p99Ms: 81 },
    series,
    durationMs: seconds * 1000,
  } as unknown as RunResult;
  const check = (metric: string, limit: number) => ({
    kind: 'target',
    metric,
    actual: limit * 0.9,
    limit,
    passed: true,
    message: metric,
  });
  const gates = {
    passed: true,
    checks: [
      check('p50', 25),
      check('p95', 60),
      check('p99', 90),
      check('errorRate', 0.01),
      check('minRps', rate * 0.9),
    ],
  } as GateReport;
  // Decoding the encoded windows (a --baseline file's, or worker threads' merged ones); the CLI's own are read live.
  const encodedOnly = a.map(({ buckets: _, ...rest }) => rest);
  const decodeMs = time(() => windowsOfSamples(encodedOnly));
  // Each repetition judges new window objects, as a new run would: the statistics core keeps the grid
  // of the same windows (gridOf), so reusing them would time that memo, not the work.
  const fresh = (s: IntervalSample[]) => windowsOfSamples(s).map((w) => ({ ...w }));
  const gatesMs = time(() => judgeGates(result, gates, { confidence: 0.95, seed: 1, windows: fresh(a) }));
  const side = (w: WindowCounts[]) => ({
    latency: { p50Ms: 20, p95Ms: 53, p99Ms: 81 } as RunResult['latency'],
    windows: w,
  });
  const src = { source: 'against' as const, url: 'x', startedAt: '' };
  const compareMs = time(() =>
    compareRuns(side(fresh(a)), side(fresh(b)), { confidence: 0.95, seed: 1, maxRegression: 0.1 }, src),
  );
  const totalMs = time(() => {
    judgeGates(result, gates, { confidence: 0.95, seed: 1, windows: fresh(a) });
  }, 'total');
  const totalAbMs = time(() => {
    // As `serve bench --against` does: the gates and the comparison judge the same candidate windows.
    const ca = fresh(a);
    judgeGates(result, gates, { confidence: 0.95, seed: 1, windows: ca });
    compareRuns(side([...ca]), side(fresh(b)), { confidence: 0.95, seed: 1, maxRegression: 0.1 }, src);
  }, 'totalAb');
  const windowsJsonBytes = JSON.stringify(windowsField(a)).length;
  rows.push({
    rate,
    decodeMs,
    gatesMs,
    compareMs,
    totalMs,
    totalAbMs,
    wallTotalMs: wall.total!,
    wallTotalAbMs: wall.totalAb!,
    windowsJsonBytes,
  });
  console.log(JSON.stringify(rows.at(-1)));
}

const f = (n: number) => n.toFixed(1);
const md = [
  `# interval-cost${values.tag ? ` (${values.tag})` : ''} (issue 24)`,
  '',
  `What judging a ${seconds} s run with intervals costs after the run: CPU milliseconds of this process (median of 7; wall time in brackets, which on a shared host includes waiting for the CPU), ${machine()}.`,
  "Target: under 50 ms for a 60 s run. Single run: its windows (read from the live histograms during the run) and the gates' intervals;",
  "with --against: also the baseline's windows and the ratio intervals. Decoding encoded windows is what a --baseline file adds.",
  '',
  '| req/s | decode 60 encoded windows ms | gates intervals ms | ratio intervals ms | single run total ms | --against total ms | --json windows |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.rate} | ${f(r.decodeMs!)} | ${f(r.gatesMs!)} | ${f(r.compareMs!)} | ${f(r.totalMs!)} (${f(r.wallTotalMs!)}) | ${f(r.totalAbMs!)} (${f(r.wallTotalAbMs!)}) | ${(r.windowsJsonBytes! / 1024).toFixed(1)} KiB |`,
  ),
  '',
].join('\n');
await writeResults(`interval-cost${values.tag ? `-${values.tag}` : ''}`, { seconds, machine: machine(), rows }, md);
