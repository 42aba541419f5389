// Helpers for the cluster tests: a complete Profile built in code, a throwaway model registry and
// state directory, process checks for orphans, and a started cluster whose processes cleanup kills.
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { ClusterHandle } from '../../src/cluster/controller/controller.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import type { Profile } from '../../src/profile/types.js';
import { cliEntry, outDir } from '../helpers/paths.js';

/** The fake data-plane CLI (replica + gateway) compiled next to this file. */
export const fakeCli = path.join(outDir, 'test', 'cluster', 'fixtures', 'fake-serve.js');

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A profile with quick probes and backoff, for tests; `over` replaces sections field by field. */
export function testProfile(registry: string, over: DeepPartial<Profile> = {}): Profile {
  const base: Profile = {
    name: 'test',
    sourcePath: '',
    model: { name: 'demo', version: 1, registry },
    replicas: { min: 1, max: 4, initial: 2 },
    autoscaling: {
      enabled: false,
      targetOngoingRequests: 2,
      upscaleDelayMs: 300,
      downscaleDelayMs: 300,
      metricsIntervalMs: 100,
      lookbackMs: 300,
      latencyGuard: false,
    },
    resources: { cpus: 0.1, gpus: 0, memoryBytes: 1024 ** 3 },
    batching: { maxBatchSize: 8, batchWaitMs: 2, mode: 'adaptive', maxQueuedRequests: 64 },
    runtime: { device: 'cpu', threads: 1 },
    health: { periodMs: 100, timeoutMs: 300, failureThreshold: 3, startupTimeoutMs: 15_000 },
    restart: {
      initialBackoffMs: 50,
      backoffMultiplier: 1.5,
      maxBackoffMs: 1000,
      resetAfterMs: 30_000,
      crashLoopFailures: 5,
      crashLoopWindowMs: 10_000,
      failedRetryMs: 300_000,
    },
    gateway: {
      host: '127.0.0.1',
      port: 0,
      maxQueuedRequests: 256,
      requestTimeoutMs: 5000,
      ejectAfterFailures: 3,
      ejectForMs: 2000,
      tryTimeoutMinMs: 100,
      replicaTransport: 'frames',
      keepConnections: true,
    },
    cache: {
      enabled: false,
      maxEntries: 1000,
      maxBytes: 1024 ** 2,
      ttlMs: 60_000,
      redisPrefix: 'serve:cache:',
      redisTimeoutMs: 5,
    },
    drainTimeoutMs: 5000,
    local: { cpus: 2, memoryBytes: 8 * 1024 ** 3, gpus: 0 },
    hosts: [{ name: 'local', node: 'node' }],
    ssh: { knownHostsFile: '~/.ssh/known_hosts', connectTimeoutMs: 5000, keepaliveMs: 5000, keepaliveCount: 3 },
    slo: { p99Ms: 100 },
  };
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...(out[k] as object), ...v } : v;
  }
  return out as unknown as Profile;
}

const DEMO_MODEL_YAML = `inputs:
  - { name: x, datatype: FP32, shape: [-1, 4] }
outputs:
  - { name: y, datatype: FP32, shape: [-1, 2] }
`;

/** A temp folder with registry/demo/1/ (model.yaml and an empty model.onnx) and a state dir; removed by the returned cleanup. */
export function tempWorld(): { root: string; registry: string; stateDir: string; cleanup(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'serve-cluster-'));
  const registry = path.join(root, 'models');
  const version = path.join(registry, 'demo', '1');
  mkdirSync(version, { recursive: true });
  // What the registry checks before anything starts; the fake replicas never open the model.
  writeFileSync(path.join(version, 'model.onnx'), '');
  writeFileSync(path.join(version, 'model.yaml'), DEMO_MODEL_YAML);
  return {
    root,
    registry,
    stateDir: path.join(root, 'state'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

let demoModelDir: string | undefined;

/**
 * Puts the demo model (cnn-lstm@1, as `serve model demo` writes it) into `registry`. The real CLI
 * builds it once per test file (about a second of CPU); each further world gets a copy.
 */
export function addDemoModel(registry: string): void {
  if (demoModelDir === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-demo-model-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    execFileSync(process.execPath, [cliEntry, 'model', 'demo', '--registry', dir], { stdio: 'ignore' });
    demoModelDir = dir;
  }
  cpSync(demoModelDir, registry, { recursive: true });
}

/** Pids of live processes whose command line contains `needle` (from ps), excluding zombies. */
export function processesMatching(needle: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && !f[1]!.startsWith('Z') && f.slice(2).join(' ').includes(needle))
    .map((f) => Number(f[0]));
}

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** SIGKILLs every pid given, ignoring those already gone (test cleanup). */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * A cluster that `run` starts; cleanup stops it, SIGKILLs every pid `status()` ever reported (the
 * gateway's and the replicas'), and removes `w`. `status()` is called once at the start.
 */
export async function watchedCluster(
  t: { after(fn: () => unknown): void },
  w: ReturnType<typeof tempWorld>,
  run: () => Promise<ClusterHandle>,
) {
  const seen = new Set<number>();
  let h: ClusterHandle | undefined;
  t.after(async () => {
    await h?.stop();
    killAll([...seen]);
    w.cleanup();
  });
  h = await run();
  const handle = h;
  const status = (): ClusterStatus => {
    const s = handle.status();
    for (const r of s.replicas) if (r.pid) seen.add(r.pid);
    if (s.gateway.pid) seen.add(s.gateway.pid);
    if (s.gateway.holderPid) seen.add(s.gateway.holderPid);
    return s;
  };
  status();
  return { h: handle, status, seen };
}
