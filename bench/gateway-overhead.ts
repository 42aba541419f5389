// Benchmark: latency the gateway adds (gateway, data plane). At a fixed open-loop rate well under
// capacity, requests alternate between one replica directly and the same replica through the
// gateway (and a bare proxy, for the floor of one extra hop), in one run; load comes from a
// separate process, the replica runs in a third.
// Writes bench/results/gateway-overhead.{json,md}.
// Usage: node dist/bench/gateway-overhead.js [--rate 300] [--duration-ms 10000] [--warmup-ms 2000]
//          [--upstream auto|replica|trivial] [--batch-wait-ms 0]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createLogger } from '../src/common/log.js';
import { startGateway } from '../src/gateway/server.js';

const here = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(here), '..', '..');
const MODEL = 'cnn-lstm';
const INFER_PATH = `/v2/models/${MODEL}/infer`;

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    rate: { type: 'string', default: '300' },
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '2000' },
    upstream: { type: 'string', default: 'auto' },
    'batch-wait-ms': { type: 'string', default: '0' },
    registry: { type: 'string' },
    direct: { type: 'string' },
    gateway: { type: 'string' },
    proxy: { type: 'string' },
  },
});

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}
interface LoadResult {
  direct: Percentiles;
  gateway: Percentiles;
  /** Through a bare proxy (node:http + undici, no routing logic): the cost of the extra hop alone. */
  bareProxy: Percentiles;
  /** Server-Timing gateway;dur minus upstream;dur: time spent inside the gateway process. */
  gatewayInternal: Percentiles;
  errors: { direct: number; gateway: number; bareProxy: number };
  achievedRatePerSec: number;
}

/** One request row for the demo model: x [1, 60, 16], deterministic values. */
function demoBody(): string {
  const data = Array.from({ length: 60 * 16 }, (_, i) => Math.round(Math.sin(i * 0.37) * 1000) / 1000);
  return JSON.stringify({ inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data }] });
}

function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.at(-1) ?? NaN, mean, count: s.length };
}

/** The replica process: a real replica with the demo model when possible, else a trivial upstream. */
async function runUpstream(): Promise<void> {
  const want = args.upstream!;
  if (want !== 'trivial') {
    try {
      const { writeDemoModel } = await import('../src/model/demo.js');
      const { startReplica } = await import('../src/replica/replica.js');
      await writeDemoModel(args.registry!);
      const batchWaitMs = Number(args['batch-wait-ms']);
      const replica = await startReplica({
        model: MODEL,
        registry: args.registry!,
        port: 0,
        replicaId: 'r1',
        batching: batchWaitMs > 0,
        batchWaitMs,
        logger: createLogger({ component: 'replica' }, { level: 'warn' }),
      });
      await replica.ready;
      console.log(JSON.stringify({ url: replica.url, kind: 'replica' }));
      return;
    } catch (err) {
      if (want === 'replica') throw err;
      console.error(`real replica unavailable (${(err as Error).message}); using a trivial upstream`);
    }
  }
  const answer = JSON.stringify({
    model_name: MODEL,
    outputs: [{ name: 'probs', shape: [1, 3], datatype: 'FP32', data: [0.2, 0.3, 0.5] }],
  });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, kind: 'trivial' }));
}

/** The load process: open loop at a fixed rate, alternating direct and gateway requests. */
async function runLoad(): Promise<void> {
  const rate = Number(args.rate);
  const durationMs = Number(args['duration-ms']);
  const warmupMs = Number(args['warmup-ms']);
  const targets = [args.direct!, args.gateway!, args.proxy!].map(
    (url) => new Pool(url, { connections: 32, pipelining: 1 }),
  );
  const body = demoBody();
  const lat: number[][] = [[], [], []];
  const internal: number[] = [];
  const errors = [0, 0, 0];
  const intervalMs = 1000 / rate;
  const total = Math.floor(((warmupMs + durationMs) / 1000) * rate);
  const startMs = performance.now() + 50;
  let fired = 0;
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    const fire = (k: number) => {
      const dueMs = startMs + k * intervalMs;
      const which = k % 3;
      targets[which]!.request({
        path: INFER_PATH,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      })
        .then(async (res) => {
          await res.body.arrayBuffer();
          const ms = performance.now() - dueMs;
          if (dueMs - startMs < warmupMs) return;
          if (res.statusCode !== 200) return void errors[which]!++;
          lat[which]!.push(ms);
          if (which === 1) {
            const m = /gateway;dur=([\d.]+), upstream;dur=([\d.]+)/.exec(String(res.headers['server-timing']));
            if (m) internal.push(Number(m[1]) - Number(m[2]));
          }
        })
        .catch(() => void errors[which]!++)
        .finally(() => {
          if (++done === total) resolve();
        });
    };
    const tick = () => {
      const now = performance.now();
      while (fired < total && startMs + fired * intervalMs <= now) fire(fired++);
      if (fired < total) setTimeout(tick, Math.max(0, startMs + fired * intervalMs - performance.now()));
    };
    setTimeout(tick, 50);
  });
  await finished;
  const measuredSec = durationMs / 1000;
  const result: LoadResult = {
    direct: percentiles(lat[0]!),
    gateway: percentiles(lat[1]!),
    bareProxy: percentiles(lat[2]!),
    gatewayInternal: percentiles(internal),
    errors: { direct: errors[0]!, gateway: errors[1]!, bareProxy: errors[2]! },
    achievedRatePerSec: lat.reduce((n, l) => n + l.length, 0) / measuredSec,
  };
  console.log(JSON.stringify(result));
  await Promise.all(targets.map((p) => p.close()));
}

/** The smallest proxy node:http + undici allow: buffer, forward, answer. The floor of any gateway. */
async function startBareProxy(upstreamUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new Pool(upstreamUrl, { connections: 64, pipelining: 1 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pool
        .request({
          path: req.url!,
          method: 'POST',
          body: Buffer.concat(chunks),
          headers: { 'content-type': String(req.headers['content-type']) },
        })
        .then(
          async (r) => {
            const b = Buffer.from(await r.body.arrayBuffer());
            res.writeHead(r.statusCode, { 'content-type': 'application/json', 'content-length': b.length });
            res.end(b);
          },
          () => {
            res.writeHead(502);
            res.end();
          },
        );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.close();
    },
  };
}

function child(role: string, extra: string[]): { proc: ChildProcess; firstLine: Promise<string> } {
  const proc = spawn(process.execPath, [here, '--role', role, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = readline.createInterface({ input: proc.stdout! });
  const firstLine = new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} process exited with ${code} before answering`)));
  });
  return { proc, firstLine };
}

async function main(): Promise<void> {
  const rate = Number(args.rate);
  const registry = await mkdtemp(path.join(os.tmpdir(), 'serve-bench-gw-'));
  const upstream = child('upstream', [
    '--upstream',
    args.upstream!,
    '--registry',
    registry,
    '--batch-wait-ms',
    args['batch-wait-ms']!,
  ]);
  const gw = await startGateway({ port: 0, logger: createLogger({ component: 'gateway' }, { level: 'warn' }) });
  try {
    const up = JSON.parse(await upstream.firstLine) as { url: string; kind: string };
    gw.setReplicas([{ id: 'r1', url: up.url, ready: true }]);
    const bare = await startBareProxy(up.url);
    const load = child('load', [
      '--direct',
      up.url,
      '--gateway',
      gw.url,
      '--proxy',
      bare.url,
      '--rate',
      String(rate),
      '--duration-ms',
      args['duration-ms']!,
      '--warmup-ms',
      args['warmup-ms']!,
    ]);
    const result = JSON.parse(await load.firstLine) as LoadResult;
    await once(load.proc, 'exit');
    await bare.close();
    const report = {
      benchmark: 'gateway-overhead',
      at: new Date().toISOString(),
      node: process.version,
      cpus: `${os.cpus()[0]?.model ?? 'unknown'} x${os.cpus().length}`,
      upstream: up.kind,
      ratePerSec: rate,
      durationMs: Number(args['duration-ms']),
      warmupMs: Number(args['warmup-ms']),
      batchWaitMs: Number(args['batch-wait-ms']),
      ...result,
      overheadMs: { p50: result.gateway.p50 - result.direct.p50, p99: result.gateway.p99 - result.direct.p99 },
      bareProxyOverheadMs: {
        p50: result.bareProxy.p50 - result.direct.p50,
        p99: result.bareProxy.p99 - result.direct.p99,
      },
      targetMet: result.gateway.p50 - result.direct.p50 < 0.5,
    };
    await mkdir(path.join(repoRoot, 'bench', 'results'), { recursive: true });
    await writeFile(
      path.join(repoRoot, 'bench', 'results', 'gateway-overhead.json'),
      JSON.stringify(report, null, 2) + '\n',
    );
    await writeFile(path.join(repoRoot, 'bench', 'results', 'gateway-overhead.md'), markdown(report));
    process.stdout.write(markdown(report));
  } finally {
    upstream.proc.kill('SIGTERM');
    await gw.close();
    await rm(registry, { recursive: true, force: true });
  }
}

function markdown(r: {
  at: string;
  node: string;
  cpus: string;
  upstream: string;
  ratePerSec: number;
  durationMs: number;
  batchWaitMs: number;
  direct: Percentiles;
  gateway: Percentiles;
  bareProxy: Percentiles;
  gatewayInternal: Percentiles;
  errors: LoadResult['errors'];
  overheadMs: { p50: number; p99: number };
  bareProxyOverheadMs: { p50: number; p99: number };
  targetMet: boolean;
}): string {
  const f = (ms: number) => ms.toFixed(3);
  const upstream =
    r.upstream === 'replica'
      ? `a real replica with the demo model (${r.batchWaitMs > 0 ? `batching, ${r.batchWaitMs} ms wait` : 'batching off'})`
      : 'a trivial upstream (fixed JSON answer; no real replica was available)';
  return `# Gateway overhead

${r.at}, ${r.cpus}, node ${r.node}. Upstream: ${upstream}. ${r.ratePerSec} req/s open loop for ${r.durationMs} ms,
requests taking turns between the replica directly, the gateway, and a bare proxy (node:http + undici, no routing: the
cost of the extra hop alone), from a separate load process; single-row JSON infer bodies.

| path | p50 ms | p90 ms | p99 ms | max ms | requests | errors |
|---|---:|---:|---:|---:|---:|---:|
| direct to the replica | ${f(r.direct.p50)} | ${f(r.direct.p90)} | ${f(r.direct.p99)} | ${f(r.direct.max)} | ${r.direct.count} | ${r.errors.direct} |
| through the gateway | ${f(r.gateway.p50)} | ${f(r.gateway.p90)} | ${f(r.gateway.p99)} | ${f(r.gateway.max)} | ${r.gateway.count} | ${r.errors.gateway} |
| through a bare proxy | ${f(r.bareProxy.p50)} | ${f(r.bareProxy.p90)} | ${f(r.bareProxy.p99)} | ${f(r.bareProxy.max)} | ${r.bareProxy.count} | ${r.errors.bareProxy} |
| added by the gateway | ${f(r.overheadMs.p50)} | | ${f(r.overheadMs.p99)} | | | |
| added by a bare proxy | ${f(r.bareProxyOverheadMs.p50)} | | ${f(r.bareProxyOverheadMs.p99)} | | | |

Time inside the gateway process (Server-Timing gateway minus upstream): p50 ${f(r.gatewayInternal.p50)} ms, p99 ${f(r.gatewayInternal.p99)} ms.
Target: under 0.5 ms added at p50: **${r.targetMet ? 'met' : 'missed'}**.
`;
}

const role = args.role;
if (role === 'upstream') await runUpstream();
else if (role === 'load') await runLoad();
else await main();
