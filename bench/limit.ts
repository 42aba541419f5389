// Benchmark (issue 27): the "limit" row of docs/performance.md, what this machine allows at most
// for the demo model, and serve's single-row JSON rate as a share of it, all in one run:
//  (a) ONNX Runtime session only, no HTTP: rows/s of a closed loop of session.run() in batches of
//      32 and of single rows, 1 intra-op thread, in 1 and in 2 processes at once (serve's local
//      profile runs 2 single-thread replicas); an open loop cannot go faster than this;
//  (b) a bare node:http server (bench/replica-bare-server.js --json) that reads the request and
//      answers a fixed small JSON body, no parsing, no model: the highest open-loop rate a separate
//      `serve bench` process drives with p99 under 100 ms and no errors (same ladder as
//      throughput-ladder: 6 s steps after 2 s of warmup, one of two tries passes), JSON requests;
//  (c) unless --skip-serve, `serve up --profile local` on the same ladder, for the shares.
// Writes bench/results/limit.{json,md}.
//
// Measurement run (quiet machine):  nice -n 0 node dist/bench/limit.js
// Smoke run:                        nice -n 19 node dist/bench/limit.js --quick
// Options: [--duration-ms 3000] [--batches 1,32] [--processes 1,2] [--bare-rates 2000,4000,...]
//          [--serve-rates 1000,2000,...] [--skip-serve] [--tag NAME]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { seededRandom } from '../src/common/random.js';
import { buildDemoModel } from '../src/model/demo.js';
import { ladder, loadNote, startLocal, type Rung } from './cluster-harness.js';
import { fmt, machine, outDir, spawnServer, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    'session-child': { type: 'boolean', default: false },
    'start-at': { type: 'string' },
    batch: { type: 'string', default: '1' },
    'duration-ms': { type: 'string', default: '3000' },
    batches: { type: 'string', default: '1,32' },
    processes: { type: 'string', default: '1,2' },
    'bare-rates': { type: 'string', default: '2000,4000,6000,8000,10000,12000,14000,16000,18000,20000' },
    'serve-rates': { type: 'string', default: '1000,2000,3000,3500,4000,4500,5000,5500,6000,6500,7000,8000' },
    'skip-serve': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    tag: { type: 'string' },
  },
});
const list = (flag: 'batches' | 'processes' | 'bare-rates' | 'serve-rates') => {
  const l = values[flag]!.split(',').map(Number);
  if (l.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${flag} must be whole numbers >= 1`);
  return l;
};

interface SessionRun {
  rows: number;
  calls: number;
  elapsedS: number;
  callP99Ms: number;
}

/** One process's closed loop of session.run() at `batch` rows, from `startAt` (epoch ms) for `durationMs`. */
async function sessionChild(batch: number, durationMs: number, startAt: number): Promise<SessionRun> {
  const { onnx, weights } = buildDemoModel();
  const { window: T, features: F } = weights.shape;
  const session = await ort.InferenceSession.create(onnx, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
  });
  const rand = seededRandom(batch);
  const x = Float32Array.from({ length: batch * T * F }, () => rand() * 2 - 1);
  const feeds = { x: new ort.Tensor('float32', x, [batch, T, F]) };
  for (let i = 0; i < 20; i++) await session.run(feeds); // the first calls allocate
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const latMs: number[] = [];
  const start = performance.now();
  while (performance.now() - start < durationMs && latMs.length < 1_000_000) {
    const t0 = performance.now();
    await session.run(feeds);
    latMs.push(performance.now() - t0);
  }
  const elapsedS = (performance.now() - start) / 1000;
  await session.release();
  latMs.sort((a, b) => a - b);
  const callP99Ms = latMs[Math.min(latMs.length - 1, Math.floor(0.99 * latMs.length))]!;
  return { rows: latMs.length * batch, calls: latMs.length, elapsedS, callP99Ms };
}

if (values['session-child']) {
  const r = await sessionChild(Number(values.batch), Number(values['duration-ms']), Number(values['start-at']));
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}

interface SessionLimit {
  batch: number;
  processes: number;
  rowsPerSec: number;
  callP99Ms: number;
}

/** `processes` children, each its own session on one thread, timed over the same window. */
async function sessionLimit(batch: number, processes: number, durationMs: number): Promise<SessionLimit> {
  const self = fileURLToPath(import.meta.url);
  const startAt = Date.now() + 3000; // after every child has built its session and warmed up
  const args = [self, '--session-child', '--batch', String(batch), '--duration-ms', String(durationMs)];
  const runs = await Promise.all(
    Array.from(
      { length: processes },
      () =>
        new Promise<SessionRun>((resolve, reject) => {
          const child = spawn(process.execPath, [...args, '--start-at', String(startAt)], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.once('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out) as SessionRun) : reject(new Error(`session child exited ${code}`)),
          );
        }),
    ),
  );
  const rowsPerSec = runs.reduce((s, r) => s + r.rows / r.elapsedS, 0);
  const callP99Ms = Math.max(...runs.map((r) => r.callP99Ms));
  return { batch, processes, rowsPerSec: Math.round(rowsPerSec), callP99Ms: Math.round(callP99Ms * 1000) / 1000 };
}

const quick = values.quick!;
const durationMs = quick ? 1000 : Number(values['duration-ms']);
if (!(durationMs > 0)) throw new Error(`--duration-ms must be > 0, got ${values['duration-ms']}`);
const bareRates = quick ? [1000, 2000, 4000] : list('bare-rates');
const serveRates = quick ? [500, 1000, 2000] : list('serve-rates');
const stepArgs = quick ? ['--duration', '3s', '--warmup', '1s'] : [];

const sessions: SessionLimit[] = [];
for (const batch of list('batches')) {
  for (const processes of list('processes')) {
    const s = await sessionLimit(batch, processes, durationMs);
    sessions.push(s);
    process.stderr.write(
      `session batch ${batch} x${processes} process(es): ${fmt(s.rowsPerSec)} rows/s (${loadNote()})\n`,
    );
  }
}

interface HttpLimit {
  server: string;
  bestPerSec: number;
  /** Every rung passed: the limit lies above the top rate (raise the rates). */
  topped: boolean;
  rungs: Rung[];
  loadBefore: string;
  loadAfter: string;
}
const http: HttpLimit[] = [];
const bare = await spawnServer([path.join(outDir, 'bench', 'replica-bare-server.js'), '--json'], false);
try {
  const loadBefore = loadNote();
  process.stderr.write(`bare node:http (${loadBefore})\n`);
  const { best, rungs } = await ladder(bare.url, bareRates, stepArgs);
  http.push({
    server: 'bare node:http, fixed JSON body',
    bestPerSec: best,
    topped: best === bareRates.at(-1),
    rungs,
    loadBefore,
    loadAfter: loadNote(),
  });
} finally {
  await bare.stop();
}
if (!values['skip-serve']) {
  const cluster = await startLocal();
  try {
    const loadBefore = loadNote();
    process.stderr.write(`serve up --profile local (${loadBefore})\n`);
    const { best, rungs } = await ladder(cluster.url, serveRates, stepArgs);
    http.push({
      server: 'serve up --profile local',
      bestPerSec: best,
      topped: best === serveRates.at(-1),
      rungs,
      loadBefore,
      loadAfter: loadNote(),
    });
  } finally {
    await cluster.stop();
  }
}

const at = new Date().toISOString();
const bareBest = http[0]!.bestPerSec;
const rate = (h: HttpLimit) => `${h.topped ? '≥ ' : ''}${fmt(h.bestPerSec)}`;
const serveBest = http[1]?.bestPerSec;
const share = (limit: number) =>
  serveBest === undefined || limit <= 0 ? 'n/a' : `${((100 * serveBest) / limit).toFixed(0)}%`;
const rungText = (r: Rung) =>
  `${r.ratePerSec}${r.passed ? '✓' : '✗'} (${r.tries.map((t) => `${t.p99Ms.toFixed(0)} ms${t.errorRate > 0 ? `, ${(t.errorRate * 100).toFixed(1)}% err` : ''}${t.unreliable ? ', generator unreliable' : ''}`).join(' / ')})`;
const md =
  `# Limit: what this machine allows for the demo model, and serve as a share of it${quick ? ' (quick smoke run)' : ''}\n\n` +
  `${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  `Session only: a closed loop of ONNX Runtime \`session.run()\` on the demo CNN+LSTM, 1 intra-op thread per ` +
  `process, ${durationMs} ms, no HTTP. HTTP: a separate \`serve bench\` process, single-row JSON requests, ` +
  `${quick ? '3 s after 1 s' : '6 s after 2 s'} of warmup, \`--p99 100ms --error-rate 0%\`, 512 connections, one of two tries passes.\n\n` +
  `| limit | rate | serve${serveBest === undefined ? '' : ` (${rate(http[1]!)} req/s)`} as a share |\n|---|---:|---:|\n` +
  sessions
    .map(
      (s) =>
        `| session only, batch ${s.batch}, ${s.processes} process${s.processes > 1 ? 'es' : ''} (call p99 ${s.callP99Ms} ms) | ${fmt(s.rowsPerSec)} rows/s | ${share(s.rowsPerSec)} |`,
    )
    .join('\n') +
  `\n| bare node:http, fixed small JSON answer | ${rate(http[0]!)} req/s | ${share(bareBest)} |\n\n` +
  '| server | highest passing rate | rungs (p99 of each try) | load average before → after |\n|---|---|---|---|\n' +
  http
    .map((h) => `| ${h.server} | ${rate(h)} | ${h.rungs.map(rungText).join(', ')} | ${h.loadBefore} → ${h.loadAfter} |`)
    .join('\n') +
  '\n' +
  (http.some((h) => h.topped) ? '\n≥: every rung passed, the limit lies higher: raise the rates.\n' : '');
await writeResults('limit', { bench: 'limit', at, machine: machine(), tag: values.tag, quick, sessions, http }, md);
process.stdout.write(md);
