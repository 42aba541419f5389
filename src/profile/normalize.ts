// Builds the Profile from a clean walk (control plane): fills derived defaults and resolves paths.
import os from 'node:os';
import path from 'node:path';
import type { SloTargets } from '../common/wire.js';
import type { Device, Profile } from './types.js';
import type { Walked } from './walk.js';

const sloFields: [keyof SloTargets, string][] = [
  ['p50Ms', 'slo.p50'], ['p90Ms', 'slo.p90'], ['p95Ms', 'slo.p95'], ['p99Ms', 'slo.p99'], ['p999Ms', 'slo.p999'],
  ['maxMs', 'slo.max'], ['errorRate', 'slo.error_rate'], ['targetRps', 'slo.throughput.target'], ['minRps', 'slo.throughput.minimum'],
];

/**
 * Maps the snake_case YAML fields onto the Profile. `w.values` holds every leaf that was written or
 * has a default; `cwd` resolves the model registry; `fallbackName` names a profile without `name`.
 */
export function toProfile(w: Walked, sourcePath: string, fallbackName: string, cwd: string): Profile {
  const v = w.values;
  const num = (p: string) => v.get(p) as number;
  const opt = (p: string) => v.get(p) as number | undefined;
  const min = num('replicas.min');
  const initial = opt('replicas.initial') ?? min;
  const slo: SloTargets = {};
  for (const [key, p] of sloFields) if (v.get(p) !== undefined) slo[key] = num(p);
  const local: Profile['local'] = {};
  if (opt('local.cpus') !== undefined) local.cpus = num('local.cpus');
  if (opt('local.memory') !== undefined) local.memoryBytes = num('local.memory');
  if (opt('local.gpus') !== undefined) local.gpus = num('local.gpus');
  return {
    name: (v.get('name') as string | undefined) ?? fallbackName,
    sourcePath,
    model: {
      name: v.get('model.name') as string,
      version: v.get('model.version') as number | 'latest',
      registry: resolveRegistry(v.get('model.registry') as string, cwd),
    },
    replicas: { min, initial, max: opt('replicas.max') ?? Math.max(min, initial, 1) },
    autoscaling: {
      enabled: v.get('autoscaling.enabled') as boolean,
      targetOngoingRequests: num('autoscaling.target_ongoing_requests'),
      upscaleDelayMs: num('autoscaling.upscale_delay'),
      downscaleDelayMs: num('autoscaling.downscale_delay'),
      metricsIntervalMs: num('autoscaling.metrics_interval'),
      lookbackMs: num('autoscaling.look_back'),
    },
    resources: { cpus: num('resources.cpus'), gpus: num('resources.gpus'), memoryBytes: num('resources.memory') },
    batching: {
      maxBatchSize: num('batching.max_batch_size'),
      batchWaitMs: num('batching.batch_wait_timeout'),
      maxQueuedRequests: num('batching.max_queued_requests'),
    },
    runtime: { device: v.get('runtime.device') as Device, intraOpThreads: num('runtime.threads') },
    health: {
      periodMs: num('health.period'),
      timeoutMs: num('health.timeout'),
      failureThreshold: num('health.failure_threshold'),
      startupTimeoutMs: num('health.startup_timeout'),
    },
    restart: {
      initialBackoffMs: num('restart.initial_backoff'),
      backoffMultiplier: num('restart.multiplier'),
      maxBackoffMs: num('restart.max_backoff'),
      resetAfterMs: num('restart.reset_after'),
      crashLoopFailures: num('restart.crash_loop.failures'),
      crashLoopWindowMs: num('restart.crash_loop.window'),
    },
    gateway: {
      host: v.get('gateway.host') as string,
      port: num('gateway.port'),
      maxQueuedRequests: num('gateway.max_queued_requests'),
      requestTimeoutMs: num('gateway.request_timeout'),
      ejectAfterFailures: num('gateway.eject_after_failures'),
      ejectForMs: num('gateway.eject_for'),
    },
    drainTimeoutMs: num('drain_timeout'),
    local,
    slo,
  };
}

/** `~/x` → home; a relative path → against the directory serve runs in; an absolute one stays. */
export function resolveRegistry(registry: string, cwd: string): string {
  if (registry === '~' || registry.startsWith('~/')) return path.join(os.homedir(), registry.slice(1));
  return path.resolve(cwd, registry);
}
