// A real cluster for system tests: the demo model, a small profile (one ORT
// thread a replica) and `serve up --json` as a child process, as a user runs it. Cleanup stops it
// with SIGINT (SIGKILL after 10 s, client/detached-cluster.ts) and SIGKILLs every pid it reported,
// even when the test failed.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { terminate } from '../../src/client/detached-cluster.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { writeDemoModel } from '../../src/model/demo.js';
import { killAll, tempWorld } from '../cluster/helpers.js';
import { serveUp } from './serve-up-json.js';

export interface ServeUpOptions {
  name: string;
  replicas: number;
  /** Extra top-level YAML lines (e.g. a `gateway:` section replacing the default one). */
  gatewayYaml?: string;
}

/** A small real profile for the demo model in `registry`. */
export function smallProfileYaml(registry: string, o: ServeUpOptions): string {
  return `name: ${o.name}
model: { name: cnn-lstm, version: latest, registry: ${JSON.stringify(registry)} }
replicas: { min: 1, max: ${Math.max(3, o.replicas)}, initial: ${o.replicas} }
autoscaling: { enabled: false, target_ongoing_requests: 3, upscale_delay: 15s, downscale_delay: 120s }
resources: { cpus: 0.5, gpus: 0, memory: 1GiB }
batching: { max_batch_size: 8, batch_wait_timeout: 2ms, max_queued_requests: 64 }
runtime: { device: cpu, threads: 1 }
health: { period: 300ms, timeout: 250ms, failure_threshold: 3, startup_timeout: 30s }
${o.gatewayYaml ?? 'gateway: { host: 127.0.0.1, port: 0, request_timeout: 5s }'}
drain_timeout: 5s
local: { cpus: 2, memory: 4GiB }
slo: { p99: 100ms, error_rate: 1%, throughput: { minimum: 1 } }
`;
}

export interface ServeUp {
  child: ChildProcess;
  status: ClusterStatus;
  stateDir: string;
  root: string;
  /** The profile file `serve up` was given. */
  profile: string;
  /** Everything `serve up` wrote on stderr so far. */
  stderr(): string;
}

/** Starts `serve up --json` on a fresh world and resolves with the status it prints once ready. */
export async function startServeUp(t: { after(fn: () => unknown): void }, o: ServeUpOptions): Promise<ServeUp> {
  const w = tempWorld();
  await writeDemoModel(w.registry);
  const profile = path.join(w.root, `${o.name}.yaml`);
  writeFileSync(profile, smallProfileYaml(w.registry, o));
  const pids: number[] = [];
  const up = await serveUp(w.root, profile, w.stateDir, {
    limitMs: 90_000,
    onSpawn: (child, exited) =>
      t.after(async () => {
        if (child.exitCode === null && child.signalCode === null)
          await terminate({ pid: child.pid!, exited }, 10_000, 'SIGINT');
        killAll(pids);
        w.cleanup();
      }),
  });
  const { status } = up;
  pids.push(status.gateway.pid!, ...status.replicas.map((r) => r.pid!));
  if (status.gateway.holderPid) pids.push(status.gateway.holderPid);
  return { child: up.child, status, stateDir: w.stateDir, root: w.root, profile, stderr: () => up.stderr() };
}
