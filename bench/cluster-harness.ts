// Shared plumbing of the cluster benchmarks (bench): start `serve up --profile local` in code (the
// shipped profile, changed field by field), drive it with `serve bench` as a separate process (as a
// user would: its own event loop on the same cores), sample CPU from /proc, and climb a rate ladder.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClusterHandle, startCluster as StartCluster } from '../src/cluster/controller/controller.js';
import type { ClusterStatus } from '../src/common/cluster-status.js';
import type { RunResult } from '../src/loadtest/index.js';
import { writeDemoModel } from '../src/model/demo.js';
import type { loadProfile as LoadProfile } from '../src/profile/index.js';
import type { Profile } from '../src/profile/types.js';
import { cliEntry } from './replica-harness.js';

export const MODEL = 'cnn-lstm';

/** A running local cluster and the pids of its gateway and replicas. */
export interface LocalCluster {
  url: string;
  pids: Record<string, number>;
  /** The profile it was started with (the shipped one, changed). */
  profile: Profile;
  /** What the controller reports now (as `serve status --json`). */
  status(): ClusterStatus;
  stop(): Promise<void>;
}

/**
 * Starts the shipped `local` profile (2 replicas + gateway), changed by `change`, all of it (the
 * controller too, so its children's settings match) from the build whose CLI is `cli`.
 */
export async function startLocal(change: (p: Profile) => Profile = (p) => p, cli = cliEntry): Promise<LocalCluster> {
  const src = path.resolve(path.dirname(cli), '..');
  const { startCluster } = (await import(
    pathToFileURL(path.join(src, 'cluster', 'controller', 'controller.js')).href
  )) as {
    startCluster: typeof StartCluster;
  };
  const { loadProfile } = (await import(pathToFileURL(path.join(src, 'profile', 'index.js')).href)) as {
    loadProfile: typeof LoadProfile;
  };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-bench-cluster-'));
  const registry = path.join(tmp, 'models');
  await writeDemoModel(registry);
  const profile = change(
    await loadProfile('local', { env: { ...process.env, SERVE_PORT: '0', SERVE_MODELS: registry } }),
  );
  let cluster: ClusterHandle;
  try {
    cluster = await startCluster(profile, {
      stateDir: path.join(tmp, 'state'),
      registryOverride: registry,
      cliEntry: cli,
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const st = cluster.status();
  const pids: Record<string, number> = { gateway: st.gateway.pid! };
  for (const r of st.replicas) if (r.pid !== undefined && r.state === 'ready') pids[r.id] = r.pid;
  return {
    url: cluster.gatewayUrl,
    pids,
    profile,
    status: () => cluster.status(),
    async stop() {
      await cluster.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN once it is gone. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds of each of `pids` used while `fn` ran. */
export async function cpuDuring<T>(
  pids: Record<string, number>,
  fn: () => Promise<T>,
): Promise<{ result: T; cpuS: Record<string, number> }> {
  const before: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) before[k] = await cpuSeconds(pid);
  const result = await fn();
  const cpuS: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) cpuS[k] = (await cpuSeconds(pid)) - before[k]!;
  return { result, cpuS };
}

/** What one `serve bench` run gave: its exit code and its --json result. */
export interface BenchRun {
  code: number;
  result: RunResult;
  /** CPU seconds the `serve bench` process used. */
  generatorCpuS: number;
}

/**
 * Runs `serve bench --url url --model cnn-lstm ...args --json` as a child process (the build `cli`);
 * an exit code outside `okCodes` (default 0 and 1: gates met or missed) throws.
 * No warmup unless `args` asks for one: these benches warm up with runs of their own, and CPU
 * measured around a call must cover only the measured requests (the CLI's default is 2 s).
 */
export async function serveBench(
  url: string,
  args: string[],
  cli = cliEntry,
  okCodes: readonly number[] = [0, 1],
): Promise<BenchRun> {
  const warmup = args.includes('--warmup') ? [] : ['--warmup', '0'];
  const child = spawn(process.execPath, [cli, 'bench', '--url', url, '--model', MODEL, ...warmup, ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  let generatorCpuS = 0;
  const sampler = setInterval(
    () =>
      void cpuSeconds(child.pid!).then((s) => {
        if (Number.isFinite(s)) generatorCpuS = s;
      }),
    200,
  );
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  clearInterval(sampler);
  if (!okCodes.includes(code)) throw new Error(`serve bench exited ${code}: ${err.slice(-400)}`);
  return { code, result: JSON.parse(out) as RunResult, generatorCpuS };
}

/** One rung of a ladder. */
export interface Rung {
  ratePerSec: number;
  passed: boolean;
  /** `unreliable`: `serve bench` exited 4 (its generator fell behind); the try counts as not passed. */
  tries: Array<{ p99Ms: number; errorRate: number; achievedPerSec: number; unreliable?: boolean }>;
}

/**
 * The throughput ladder: each rate for 6 s after 2 s of warmup, gated on p99 < 100 ms and no
 * errors, passing if one of two tries does; climbs `rates` in order and stops after the first rate
 * that fails both. A try whose generator fell behind (`serve bench` exit 4) is a failed try, marked. Returns the highest passing rate (0 if none) and every rung.
 */
export async function ladder(
  url: string,
  rates: readonly number[],
  extra: string[] = [],
  log = (s: string) => process.stderr.write(s + '\n'),
  cli = cliEntry,
): Promise<{ best: number; rungs: Rung[] }> {
  const rungs: Rung[] = [];
  let best = 0;
  for (const rate of rates) {
    const rung: Rung = { ratePerSec: rate, passed: false, tries: [] };
    for (let t = 0; t < 2 && !rung.passed; t++) {
      const run = await serveBench(
        url,
        [
          '--rps',
          String(rate),
          '--duration',
          '6s',
          '--warmup',
          '2s',
          '--p99',
          '100ms',
          '--error-rate',
          '0%',
          '--connections',
          '512',
          ...extra,
        ],
        cli,
        [0, 1, 4],
      );
      const r = run.result;
      const unreliable = run.code === 4;
      rung.tries.push({
        p99Ms: r.latency.p99Ms,
        errorRate: r.errorRate,
        achievedPerSec: Math.round(r.rate.achievedPerSec),
        ...(unreliable ? { unreliable } : {}),
      });
      rung.passed = run.code === 0;
      log(
        `  ${rate}/s try ${t + 1}: ${rung.passed ? 'pass' : unreliable ? 'FAIL (generator unreliable)' : 'FAIL'} p99 ${r.latency.p99Ms.toFixed(1)} ms, errors ${(r.errorRate * 100).toFixed(2)}%, achieved ${Math.round(r.rate.achievedPerSec)}/s (load ${os.loadavg()[0]!.toFixed(1)})`,
      );
    }
    rungs.push(rung);
    if (!rung.passed) break;
    best = rate;
  }
  return { best, rungs };
}

/** "load average 3.2 / 2.9 / 2.5". */
export const loadNote = (): string =>
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}`;
