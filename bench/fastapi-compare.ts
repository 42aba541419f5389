// Benchmark (issue 27): serve against the plain FastAPI + PyTorch service of the same model. For
// each, the highest open-loop rate with p99 under 100 ms and no errors, demo CNN+LSTM, single-row
// JSON requests, driven by the same separate `serve bench` process on the same cores: a ladder of
// 6 s steps after 2 s of warmup, a rate passing if one of two tries does (as throughput-ladder).
// FastAPI side: bench/fastapi/server.py under uvicorn with 2 workers (one per core, as serve's 2
// replicas), torch.set_num_threads(1), inference_mode, one forward pass per request, serve's own
// demo weights (the answers are checked to match serve's). Runs alternate the order of the two
// servers; the ratio is per run. Needs Debian's python3-torch, python3-fastapi, python3-uvicorn
// (and, as `uvicorn[standard]` would bring, python3-uvloop and python3-httptools).
// Writes bench/results/fastapi-compare.{json,md}.
//
// Measurement run (quiet machine):  nice -n 0 node dist/bench/fastapi-compare.js --runs 3
// Smoke run:                        nice -n 19 node dist/bench/fastapi-compare.js --quick
// Options: [--runs N] [--fastapi-rates 100,200,...] [--serve-rates 1000,2000,...] [--batched]
//          [--workers 2] [--python /usr/bin/python3] [--tag NAME]
import { parseArgs } from 'node:util';
import { ladder, loadNote, startLocal, type Rung } from './cluster-harness.js';
import { DEFAULT_PYTHON, maxProbDiff, pythonVersions, startFastapi } from './fastapi-harness.js';
import { machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'fastapi-rates': { type: 'string', default: '100,200,300,400,500,600,700,800,1000,1200,1500,2000' },
    'serve-rates': { type: 'string', default: '1000,2000,3000,3500,4000,4500,5000,5500,6000,6500,7000,8000' },
    batched: { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
    python: { type: 'string', default: DEFAULT_PYTHON },
    quick: { type: 'boolean', default: false },
    tag: { type: 'string' },
  },
});
const rates = (flag: 'fastapi-rates' | 'serve-rates') => {
  const list = values[flag]!.split(',').map(Number);
  if (list.some((r) => !(r > 0))) throw new Error(`--${flag} must be positive rates, got ${values[flag]}`);
  return list;
};
const quick = values.quick!;
const runs = quick ? 1 : Number(values.runs);
const workers = Number(values.workers);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1, got ${values.runs}`);
if (!Number.isInteger(workers) || workers < 1)
  throw new Error(`--workers must be a whole number >= 1, got ${values.workers}`);
const fastapiRates = quick ? [100, 200, 300, 400] : rates('fastapi-rates');
const serveRates = quick ? [500, 1000, 2000] : rates('serve-rates');
// Quick: shorter steps (the CLI takes the last --duration/--warmup given).
const stepArgs = quick ? ['--duration', '3s', '--warmup', '1s'] : [];

const py = pythonVersions(values.python!);
if (!py.ok) {
  process.stderr.write(`fastapi-compare: ${py.why}; install python3-torch python3-fastapi python3-uvicorn\n`);
  process.exit(2);
}
const fastapiOpts = { python: values.python!, workers, batched: values.batched! };
const fastapiLabel = `FastAPI+PyTorch (${workers} uvicorn workers${values.batched ? ', batched' : ', per request'})`;

// Same model: both servers answer the same requests with the same probabilities (float32 noise).
process.stderr.write(`checking both serve the same model (${loadNote()})\n`);
const [checkServe, checkFastapi] = await Promise.all([startLocal(), startFastapi(fastapiOpts)]);
let probDiff: number;
try {
  probDiff = await maxProbDiff(checkServe.url, checkFastapi.url);
} finally {
  await Promise.all([checkServe.stop(), checkFastapi.stop()]);
}
process.stderr.write(`largest difference of the answers: ${probDiff.toExponential(2)}\n`);
if (!(probDiff < 1e-4)) throw new Error(`the two servers answer differently (by ${probDiff}): not the same model`);

type Side = 'serve' | 'fastapi';
interface Ladder {
  run: number;
  side: Side;
  bestPerSec: number;
  /** Every rung passed: the limit lies above the top rate (raise the rates). */
  topped: boolean;
  rungs: Rung[];
  loadBefore: string;
  loadAfter: string;
}
const ladders: Ladder[] = [];

async function climb(run: number, side: Side): Promise<void> {
  process.stderr.write(`run ${run} ${side} (${loadNote()})\n`);
  const server = side === 'serve' ? await startLocal() : await startFastapi(fastapiOpts);
  try {
    const loadBefore = loadNote();
    const sideRates = side === 'serve' ? serveRates : fastapiRates;
    const { best, rungs } = await ladder(server.url, sideRates, stepArgs);
    ladders.push({
      run,
      side,
      bestPerSec: best,
      topped: best === sideRates.at(-1),
      rungs,
      loadBefore,
      loadAfter: loadNote(),
    });
    process.stderr.write(`run ${run} ${side}: ${best}/s\n`);
  } finally {
    await server.stop();
  }
}

for (let run = 1; run <= runs; run++) {
  const order: Side[] = run % 2 === 1 ? ['fastapi', 'serve'] : ['serve', 'fastapi'];
  for (const side of order) await climb(run, side);
}

const find = (run: number, side: Side) => ladders.find((l) => l.run === run && l.side === side)!;
const best = (run: number, side: Side) => find(run, side).bestPerSec;
const rate = (l: Ladder) => `${l.topped ? '≥ ' : ''}${l.bestPerSec.toLocaleString('en-US')}`;
const perRun = Array.from({ length: runs }, (_, i) => {
  const [s, f] = [best(i + 1, 'serve'), best(i + 1, 'fastapi')];
  return { run: i + 1, servePerSec: s, fastapiPerSec: f, ratio: f > 0 ? s / f : null };
});
const ratios = perRun.map((r) => r.ratio).filter((r): r is number => r !== null);
const median = ratios.length ? [...ratios].sort((a, b) => a - b)[Math.floor((ratios.length - 1) / 2)]! : null;

const at = new Date().toISOString();
const label = (s: Side) => (s === 'serve' ? 'serve up --profile local' : fastapiLabel);
const rungText = (r: Rung) =>
  `${r.ratePerSec}${r.passed ? '✓' : '✗'} (${r.tries.map((t) => `${t.p99Ms.toFixed(0)} ms${t.errorRate > 0 ? `, ${(t.errorRate * 100).toFixed(1)}% err` : ''}${t.unreliable ? ', generator unreliable' : ''}`).join(' / ')})`;
const md =
  `# serve vs FastAPI + PyTorch: demo CNN+LSTM, single-row JSON requests${quick ? ' (quick smoke run)' : ''}\n\n` +
  `${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  `Python side: ${py.versions}. Largest difference between the two servers' answers to the same ` +
  `requests: ${probDiff.toExponential(1)} (same weights, same normalization).\n\n` +
  `Each rate: a separate \`serve bench\` process, ${quick ? '3 s after 1 s' : '6 s after 2 s'} of warmup, ` +
  '`--p99 100ms --error-rate 0%`, 512 connections, JSON; a rate passes if one of two tries does; ' +
  'the ladder stops at the first rate that fails both. Servers run one at a time, in alternating order; ' +
  "everything (generator and server) shares this machine's cores.\n\n" +
  '| run | serve (req/s) | FastAPI (req/s) | serve / FastAPI |\n|---:|---:|---:|---:|\n' +
  perRun
    .map(
      (r) =>
        `| ${r.run} | **${rate(find(r.run, 'serve'))}** | **${rate(find(r.run, 'fastapi'))}** | ${r.ratio === null ? 'n/a' : `${r.ratio.toFixed(1)}x`} |`,
    )
    .join('\n') +
  `\n\n${median === null ? '' : `Median ratio: **${median.toFixed(1)}x**.\n\n`}` +
  '| run | server | highest passing rate | rungs (p99 of each try) | load average before → after |\n|---|---|---|---|---|\n' +
  ladders
    .map(
      (l) =>
        `| ${l.run} | ${label(l.side)} | ${rate(l)} | ${l.rungs.map(rungText).join(', ')} | ${l.loadBefore} → ${l.loadAfter} |`,
    )
    .join('\n') +
  '\n' +
  (ladders.some((l) => l.topped) ? '\n≥: every rung passed, the limit lies higher: raise the rates.\n' : '');
await writeResults(
  'fastapi-compare',
  {
    bench: 'fastapi-compare',
    at,
    machine: machine(),
    tag: values.tag,
    quick,
    python: py.versions,
    fastapi: { workers, batched: values.batched, rates: fastapiRates },
    serve: { profile: 'local', rates: serveRates },
    maxProbDiff: probDiff,
    perRun,
    medianRatio: median,
    ladders,
  },
  md,
);
process.stdout.write(md);
