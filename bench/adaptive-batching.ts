// Benchmark (issue 12 adaptive batching): `serve up --profile local` with batching.mode adaptive (the
// default), fixed (Ray Serve's wait, as before), and batching off (max_batch_size 1), each driven by
// a separate `serve bench` process: open loop at 200 req/s (p50, p99), closed loop with 16
// connections (rate), and the saturation ladder (highest rate with p99 < 100 ms and no errors, 6 s
// steps after 2 s of warmup, one of two tries). Ratios are taken within this one run.
// Writes bench/results/adaptive-batching.{json,md}.
// Usage: node dist/bench/adaptive-batching.js [--rates 500,1000,...] [--duration-s 10] [--no-ladder] [--binary] [--tag NAME]
import { parseArgs } from 'node:util';
import type { Profile } from '../src/profile/types.js';
import { ladder, loadNote, serveBench, startLocal, type Rung } from './cluster-harness.js';
import { machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '500,1000,1500,2000,2500,3000,3500,4000,4500,5000,5500,6000' },
    'duration-s': { type: 'string', default: '10' },
    'no-ladder': { type: 'boolean', default: false },
    binary: { type: 'boolean', default: false },
    tag: { type: 'string' },
  },
});
const durationS = Number(values['duration-s']);
const extra = values.binary ? ['--binary'] : [];

const configs: Array<{ name: string; change: (p: Profile) => Profile }> = [
  { name: 'adaptive', change: (p) => ({ ...p, batching: { ...p.batching, mode: 'adaptive' } }) },
  { name: 'fixed', change: (p) => ({ ...p, batching: { ...p.batching, mode: 'fixed' } }) },
  { name: 'off', change: (p) => ({ ...p, batching: { ...p.batching, maxBatchSize: 1 } }) },
];

interface Row {
  config: string;
  at200: { p50Ms: number; p99Ms: number; errors: number; load: string };
  closed16: { perSec: number; p50Ms: number; p99Ms: number; errors: number; load: string };
  saturation?: { bestPerSec: number; rungs: Rung[] };
}

const rows: Row[] = [];
for (const c of configs) {
  process.stderr.write(`${c.name} (${loadNote()})\n`);
  const cluster = await startLocal(c.change);
  try {
    const low = (
      await serveBench(cluster.url, ['--rps', '200', '--duration', `${durationS}s`, '--warmup', '2s', ...extra])
    ).result;
    const at200 = { p50Ms: low.latency.p50Ms, p99Ms: low.latency.p99Ms, errors: low.requests.errors, load: loadNote() };
    process.stderr.write(`  200/s: p50 ${at200.p50Ms.toFixed(2)} ms, p99 ${at200.p99Ms.toFixed(2)} ms\n`);
    const closed = (
      await serveBench(cluster.url, ['--concurrency', '16', '--duration', `${durationS}s`, '--warmup', '2s', ...extra])
    ).result;
    const closed16 = {
      perSec: Math.round(closed.rate.achievedPerSec),
      p50Ms: closed.latency.p50Ms,
      p99Ms: closed.latency.p99Ms,
      errors: closed.requests.errors,
      load: loadNote(),
    };
    process.stderr.write(`  closed loop, 16 connections: ${closed16.perSec}/s, p50 ${closed16.p50Ms.toFixed(2)} ms\n`);
    const row: Row = { config: c.name, at200, closed16 };
    if (!values['no-ladder']) {
      const { best, rungs } = await ladder(cluster.url, values.rates!.split(',').map(Number), extra);
      row.saturation = { bestPerSec: best, rungs };
      process.stderr.write(`  saturation: ${best}/s\n`);
    }
    rows.push(row);
  } finally {
    await cluster.stop();
  }
}

const [ad, fx, off] = rows as [Row, Row, Row];
const p50Limit = Math.max(1.5 * off.at200.p50Ms, off.at200.p50Ms + 1);
const checks = [
  `p50 at 200 req/s: adaptive ${ad.at200.p50Ms.toFixed(2)} ms vs off ${off.at200.p50Ms.toFixed(2)} ms = ${(ad.at200.p50Ms / off.at200.p50Ms).toFixed(2)}x (limit: 1.5x or +1 ms = ${p50Limit.toFixed(2)} ms): ${ad.at200.p50Ms <= p50Limit ? 'met' : 'NOT met'}`,
  `p99 at 200 req/s: adaptive ${ad.at200.p99Ms.toFixed(2)} ms vs off ${off.at200.p99Ms.toFixed(2)} ms = ${(ad.at200.p99Ms / off.at200.p99Ms).toFixed(2)}x (limit 2x): ${ad.at200.p99Ms <= 2 * off.at200.p99Ms ? 'met' : 'NOT met'}`,
  `closed loop, 16 connections: adaptive ${ad.closed16.perSec}/s vs fixed ${fx.closed16.perSec}/s = ${(ad.closed16.perSec / fx.closed16.perSec).toFixed(2)}x (target >= 3x): ${ad.closed16.perSec >= 3 * fx.closed16.perSec ? 'met' : 'NOT met'}`,
  ...(ad.saturation && fx.saturation && off.saturation
    ? [
        `saturation (p99 < 100 ms): adaptive ${ad.saturation.bestPerSec}/s vs fixed ${fx.saturation.bestPerSec}/s = ${(ad.saturation.bestPerSec / Math.max(1, fx.saturation.bestPerSec)).toFixed(2)}x (target >= 1x): ${ad.saturation.bestPerSec >= fx.saturation.bestPerSec ? 'met' : 'NOT met'}`,
        `saturation: adaptive vs off ${off.saturation.bestPerSec}/s = ${(ad.saturation.bestPerSec / Math.max(1, off.saturation.bestPerSec)).toFixed(2)}x (target >= 2x): ${ad.saturation.bestPerSec >= 2 * off.saturation.bestPerSec ? 'met' : 'NOT met'}`,
      ]
    : []),
];
const at = new Date().toISOString();
const table = rows.map(
  (r) =>
    `| ${r.config} | ${r.at200.p50Ms.toFixed(2)} | ${r.at200.p99Ms.toFixed(2)} | ${r.closed16.perSec.toLocaleString('en-US')} (p50 ${r.closed16.p50Ms.toFixed(1)} ms) | ${r.saturation ? r.saturation.bestPerSec.toLocaleString('en-US') : '-'} | ${r.at200.load}; ${r.closed16.load} |`,
);
const md =
  `# Adaptive batching: serve up --profile local, demo model, single-row ${values.binary ? 'binary' : 'JSON'} requests\n\n${at}, ${machine()}${values.tag ? `, ${values.tag}` : ''}\n\n` +
  'Each configuration is the shipped local profile (2 replicas, batch_wait_timeout 10 ms) with batching.mode adaptive, fixed, or max_batch_size 1 (off); load from a separate `serve bench` process on the same cores. ' +
  `200 req/s: ${durationS} s after 2 s of warmup. Closed loop: 16 connections, ${durationS} s. Saturation: the ladder (6 s steps after 2 s, p99 < 100 ms and no errors, one of two tries).\n\n` +
  '| batching | p50 at 200/s (ms) | p99 at 200/s (ms) | closed loop, 16 connections (req/s) | highest rate at p99 < 100 ms | load average (1/5/15 min) |\n|---|---|---|---|---|---|\n' +
  table.join('\n') +
  '\n\n' +
  checks.map((c) => `- ${c}`).join('\n') +
  '\n';
await writeResults(
  values.binary ? 'adaptive-batching-binary' : 'adaptive-batching',
  { bench: 'adaptive-batching', at, machine: machine(), tag: values.tag, rows, checks },
  md,
);
process.stdout.write(md);
