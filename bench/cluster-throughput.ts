// Benchmark (issue 3 target): throughput of `serve up --profile local` (2 replicas + gateway on this
// host) for single-row JSON requests, load generator included. Starts the cluster through
// startCluster with the shipped local profile, then drives the gateway closed-loop with Debian's wrk
// and open-loop with our runBench at fixed rates, sampling the CPU of the gateway, each replica and
// the generator from /proc. Writes bench/results/cluster-throughput.{json,md}.
// Usage: node dist/bench/cluster-throughput.js [--rates 1000,2000,3000,4000,5000,6000] [--duration-s 10]
//          [--warmup-s 2] [--wrk-connections 16,64] [--wrk-duration-s 10] [--no-wrk] [--tag NAME]
//          [--cli path/to/dist/src/cli/main.js]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, type ClusterHandle } from '../src/cluster/controller/controller.js';
import { runBench } from '../src/loadtest/index.js';
import type { BenchOptions, RunResult } from '../src/loadtest/index.js';
import { writeDemoModel } from '../src/model/demo.js';
import { loadProfile } from '../src/profile/index.js';
import { cliEntry, fmt, machine, writeResults } from './replica-harness.js';
import { cpuSeconds } from './cluster-harness.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,2000,3000,4000,5000,6000' },
    'duration-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '2' },
    'wrk-connections': { type: 'string', default: '16,64' },
    'wrk-duration-s': { type: 'string', default: '10' },
    'no-wrk': { type: 'boolean', default: false },
    tag: { type: 'string' },
    // The serve CLI the gateway and replicas run (another build's, to compare before/after).
    cli: { type: 'string', default: cliEntry },
  },
});
const rates = values.rates!.split(',').map(Number);
const durationS = Number(values['duration-s']);
const warmupS = Number(values['warmup-s']);
const wrkConnections = values['wrk-connections']!.split(',').map(Number);
const wrkDurationS = Number(values['wrk-duration-s']);
const P99_LIMIT_MS = 100;
const WRK = '/usr/bin/wrk';
const MODEL = 'cnn-lstm';

/** Share of one core each process used between start() and stop(), in percent. */
function cpuMeter(pids: Record<string, number>) {
  let t0 = 0;
  const before: Record<string, number> = {};
  return {
    async start() {
      for (const [k, pid] of Object.entries(pids)) before[k] = await cpuSeconds(pid);
      t0 = performance.now();
    },
    async stop(): Promise<Record<string, number>> {
      const wallS = (performance.now() - t0) / 1000;
      const out: Record<string, number> = {};
      for (const [k, pid] of Object.entries(pids))
        out[k] = Math.round((((await cpuSeconds(pid)) - before[k]!) / wallS) * 100);
      return out;
    },
  };
}

/** One single-row OIP v2 JSON request body like runBench's (60 x 16 features). */
function jsonBody(): string {
  const data = Array.from({ length: 60 * 16 }, (_, i) => Number(Math.sin(i * 0.37).toFixed(4)));
  return JSON.stringify({ inputs: [{ name: 'x', shape: [1, 60, 16], datatype: 'FP32', data }] });
}

interface WrkResult {
  connections: number;
  durationS: number;
  requestsPerSec: number;
  non2xx: number;
  socketErrors: string;
  latencyMs: Record<string, number>;
  cpuPercent: Record<string, number>;
}

/** Parses "1.23ms" / "456.00us" / "1.01s" into milliseconds. */
function wrkMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]!]!;
}

async function runWrk(
  url: string,
  script: string,
  connections: number,
  pids: Record<string, number>,
): Promise<WrkResult> {
  const child = spawn(WRK, ['-t1', `-c${connections}`, `-d${wrkDurationS}s`, '--latency', '-s', script, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (text += c.toString()));
  const meter = cpuMeter({ ...pids, generator: child.pid! });
  await new Promise((r) => setTimeout(r, 500));
  await meter.start();
  await new Promise((r) => setTimeout(r, (wrkDurationS - 1.5) * 1000));
  const cpuPercent = await meter.stop();
  await new Promise((r) => child.once('exit', r));
  const latencyMs: Record<string, number> = {};
  for (const m of text.matchAll(/^\s+(50|75|90|99)%\s+(\S+)/gm)) latencyMs[`p${m[1]}`] = wrkMs(m[2]!);
  return {
    connections,
    durationS: wrkDurationS,
    requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    socketErrors: /Socket errors: (.*)/.exec(text)?.[1] ?? 'none',
    latencyMs,
    cpuPercent,
  };
}

interface RateStep {
  requestedPerSec: number;
  achievedPerSec: number;
  errors: number;
  errorsByClass: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  cpuPercent: Record<string, number>;
  met: boolean;
}

async function runRate(url: string, ratePerSec: number, pids: Record<string, number>): Promise<RateStep> {
  const opts: BenchOptions = {
    url,
    model: MODEL,
    mode: 'open',
    ratePerSec,
    arrival: 'constant',
    concurrency: 1,
    durationMs: durationS * 1000,
    warmupMs: warmupS * 1000,
    connections: 256,
    timeoutMs: 5000,
    lateThresholdMs: 2,
    binary: false,
    checkShape: false,
    seed: 1,
  };
  const meter = cpuMeter({ ...pids, generator: process.pid });
  let started = false;
  let cpuPercent: Record<string, number> = {};
  const r: RunResult = await runBench(opts, {
    onProgress: (p) => {
      // Measure CPU over the measured phase only (from its first progress tick).
      if (p.phase === 'run' && !started) {
        started = true;
        void meter.start();
      }
    },
  });
  cpuPercent = await meter.stop();
  const achieved = r.rate.achievedPerSec;
  return {
    requestedPerSec: ratePerSec,
    achievedPerSec: Math.round(achieved),
    errors: r.requests.errors,
    errorsByClass: r.errorsByClass,
    latencyMs: { p50: r.latency.p50Ms, p90: r.latency.p90Ms, p99: r.latency.p99Ms, max: r.latency.maxMs },
    cpuPercent,
    met: r.latency.p99Ms < P99_LIMIT_MS && r.errorRate < 0.01 && achieved >= 0.95 * ratePerSec,
  };
}

function limitNote(cpu: Record<string, number>): string {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const top = Object.entries(cpu).sort((a, b) => b[1] - a[1]);
  return `CPU ${top.map(([k, v]) => `${k} ${v}%`).join(', ')} = ${total}% of ${os.cpus().length * 100}%`;
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-cluster-bench-'));
let cluster: ClusterHandle | undefined;
try {
  const registry = path.join(tmp, 'models');
  await writeDemoModel(registry);
  const profile = await loadProfile('local', { env: { ...process.env, SERVE_PORT: '0', SERVE_MODELS: registry } });
  const t0 = performance.now();
  cluster = await startCluster(profile, {
    stateDir: path.join(tmp, 'state'),
    registryOverride: registry,
    cliEntry: values.cli,
  });
  const startupMs = performance.now() - t0;
  const st = cluster.status();
  const pids: Record<string, number> = { gateway: st.gateway.pid! };
  for (const r of st.replicas) if (r.pid !== undefined && r.state === 'ready') pids[`replica ${r.id}`] = r.pid;
  const url = cluster.gatewayUrl;
  process.stderr.write(`cluster up in ${Math.round(startupMs)} ms at ${url}: ${JSON.stringify(pids)}\n`);

  const wrk: WrkResult[] = [];
  if (!values['no-wrk'] && existsSync(WRK)) {
    const script = path.join(tmp, 'post.lua');
    await writeFile(
      script,
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[${jsonBody()}]]\n`,
    );
    for (const c of wrkConnections) {
      const w = await runWrk(`${url}/v2/models/${MODEL}/infer`, script, c, pids);
      process.stderr.write(
        `wrk -c${c}: ${fmt(w.requestsPerSec)} req/s p99 ${w.latencyMs.p99} ms; ${limitNote(w.cpuPercent)}\n`,
      );
      wrk.push(w);
    }
  }
  const steps: RateStep[] = [];
  for (const rate of rates) {
    const s = await runRate(url, rate, pids);
    process.stderr.write(
      `open ${rate}/s: achieved ${s.achievedPerSec}/s p50 ${s.latencyMs.p50} p99 ${s.latencyMs.p99} ms errors ${s.errors}; ${limitNote(s.cpuPercent)}\n`,
    );
    steps.push(s);
  }
  const best = steps.filter((s) => s.met).sort((a, b) => b.requestedPerSec - a.requestedPerSec)[0];
  const firstMiss = steps.find((s) => !s.met && (!best || s.requestedPerSec > best.requestedPerSec));
  const report = {
    bench: 'cluster-throughput',
    tag: values.tag,
    at: new Date().toISOString(),
    machine: machine(),
    profile: 'local',
    replicas: Object.keys(pids).length - 1,
    startupMs: Math.round(startupMs),
    p99LimitMs: P99_LIMIT_MS,
    targetPerSec: 2000,
    maxRateMeetingP99: best?.requestedPerSec ?? 0,
    targetMet: (best?.requestedPerSec ?? 0) >= 2000,
    limitAtFirstMiss: firstMiss ? limitNote(firstMiss.cpuPercent) : null,
    wrk,
    openLoop: steps,
  };
  const wrkRows = wrk.map(
    (w) =>
      `| wrk -t1 -c${w.connections} (closed loop) | ${fmt(w.requestsPerSec)} | ${w.latencyMs.p50} | ${w.latencyMs.p99} | ${w.non2xx} | ${limitNote(w.cpuPercent)} |`,
  );
  const openRows = steps.map(
    (s) =>
      `| open loop ${s.requestedPerSec}/s | ${fmt(s.achievedPerSec)} | ${s.latencyMs.p50.toFixed(1)} | ${s.latencyMs.p99.toFixed(1)} | ${s.errors} | ${limitNote(s.cpuPercent)} |`,
  );
  const md =
    `# serve up --profile local: cluster throughput, single-row JSON\n\n${report.at}, ${report.machine}${report.tag ? `, ${report.tag}` : ''}\n\n` +
    `Local profile (2 replicas, batch 32 within 10 ms, 1 ORT thread each) + gateway + load generator, all on this host; cluster ready in ${report.startupMs} ms. ` +
    `Open loop: runBench, constant arrivals, ${durationS} s measured after ${warmupS} s warm-up, latency from the intended send time. wrk is closed loop (${wrkDurationS} s).\n\n` +
    `| load | achieved req/s | p50 ms | p99 ms | errors / non-2xx | CPU (% of one core) |\n|---|---:|---:|---:|---:|---|\n${[...wrkRows, ...openRows].join('\n')}\n\n` +
    `Highest fixed rate with p99 < ${P99_LIMIT_MS} ms, < 1% errors and >= 95% of the rate achieved: **${fmt(report.maxRateMeetingP99)} req/s** (target >= 2,000: ${report.targetMet ? 'met' : 'NOT met'}).\n` +
    (firstMiss
      ? `\nAt the first rate that missed (${firstMiss.requestedPerSec}/s): ${limitNote(firstMiss.cpuPercent)}.\n`
      : '');
  await writeResults(values.tag ? `cluster-throughput-${values.tag}` : 'cluster-throughput', report, md);
  process.stdout.write(md);
} finally {
  await cluster?.stop().catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
}
