// Builds the Profile from a clean walk (control plane): fills derived defaults and resolves paths.
// The walk's values are read through the typed tree (ProfileYaml), so a renamed key does not compile.
import os from 'node:os';
import path from 'node:path';
import type { SloTargets } from '../common/wire.js';
import type { GatewaySecurity } from './gateway-security.js';
import { migrationOf } from './fields/migration-fields.js';
import type { ProfileYaml } from './schema.js';
import type { HostSpec, Profile } from './types.js';
import type { Walked } from './walk.js';
import { nestWalked } from './walk-context.js';

/** The walk's dotted-path values as the nested object the tree describes. */
export function nestValues(values: ReadonlyMap<string, unknown>): ProfileYaml {
  const root = nestWalked(values);
  // Every section exists (possibly empty): the walk visits each one, and absent leaves read undefined.
  for (const k of [
    'model',
    'replicas',
    'autoscaling',
    'resources',
    'batching',
    'runtime',
    'health',
    'restart',
    'gateway',
    'cache',
    'local',
    'ssh',
    'controller',
    'slo',
    'rollout',
    'tune',
    'cost',
  ])
    root[k] ??= {};
  (root.cache as Record<string, unknown>).redis ??= {};
  (root.restart as Record<string, unknown>).crash_loop ??= {};
  (root.slo as Record<string, unknown>).throughput ??= {};
  const gateway = root.gateway as Record<string, unknown>;
  gateway.auth ??= {};
  gateway.tls ??= {};
  gateway.fallback ??= {};
  gateway.shadow ??= {};
  return root as unknown as ProfileYaml;
}

/**
 * Maps the snake_case YAML fields onto the Profile. `w.values` holds every leaf that was written or
 * has a default; `cwd` resolves the model registry; `fallbackName` names a profile without `name`.
 */
export function toProfile(
  w: Walked,
  sourcePath: string,
  fallbackName: string,
  cwd: string,
  security: Pick<GatewaySecurity, 'auth' | 'tls'> = {},
): Profile {
  const y = nestValues(w.values);
  const min = y.replicas.min;
  const initial = y.replicas.initial ?? min;
  return {
    name: y.name ?? fallbackName,
    sourcePath,
    model: { name: y.model.name, version: y.model.version, registry: resolveRegistry(y.model.registry, cwd) },
    replicas: { min, initial, max: y.replicas.max ?? Math.max(min, initial, 1) },
    autoscaling: {
      enabled: y.autoscaling.enabled,
      targetOngoingRequests: y.autoscaling.target_ongoing_requests,
      upscaleDelayMs: y.autoscaling.upscale_delay,
      downscaleDelayMs: y.autoscaling.downscale_delay,
      metricsIntervalMs: y.autoscaling.metrics_interval,
      lookbackMs: y.autoscaling.look_back,
      latencyGuard: y.autoscaling.latency_guard,
    },
    resources: dropUndefined({
      cpus: y.resources.cpus,
      gpus: y.resources.gpus,
      memoryBytes: y.resources.memory,
      gpuMemoryBytes: y.resources.gpu_memory,
    }) as Profile['resources'],
    batching: {
      maxBatchSize: y.batching.max_batch_size,
      batchWaitMs: y.batching.batch_wait_timeout,
      mode: y.batching.mode,
      maxQueuedRequests: y.batching.max_queued_requests,
    },
    runtime: { device: y.runtime.device, threads: y.runtime.threads },
    health: {
      periodMs: y.health.period,
      timeoutMs: y.health.timeout,
      failureThreshold: y.health.failure_threshold,
      startupTimeoutMs: y.health.startup_timeout,
    },
    restart: {
      initialBackoffMs: y.restart.initial_backoff,
      backoffMultiplier: y.restart.multiplier,
      maxBackoffMs: y.restart.max_backoff,
      resetAfterMs: y.restart.reset_after,
      crashLoopFailures: y.restart.crash_loop.failures,
      crashLoopWindowMs: y.restart.crash_loop.window,
      failedRetryMs: y.restart.failed_retry,
    },
    gateway: {
      host: y.gateway.host,
      port: y.gateway.port,
      maxQueuedRequests: y.gateway.max_queued_requests,
      requestTimeoutMs: y.gateway.request_timeout,
      ejectAfterFailures: y.gateway.eject_after_failures,
      ejectForMs: y.gateway.eject_for,
      tryTimeoutMinMs: y.gateway.try_timeout_min,
      replicaTransport: y.gateway.replica_transport,
      keepConnections: y.gateway.keep_connections,
      ...(security.auth ? { auth: security.auth } : {}),
      ...(security.tls ? { tls: security.tls } : {}),
      ...migrationOf(y.gateway),
    },
    cache: cacheOf(y.cache),
    drainTimeoutMs: y.drain_timeout,
    ...envOf(y.env),
    local: dropUndefined({ cpus: y.local.cpus, memoryBytes: y.local.memory, gpus: y.local.gpus }),
    hosts: hostsOf(y.hosts),
    ssh: dropUndefined({
      knownHostsFile: y.ssh.known_hosts,
      identityFile: y.ssh.identity_file,
      configFile: y.ssh.config_file,
      connectTimeoutMs: y.ssh.connect_timeout,
      keepaliveMs: y.ssh.keepalive,
      keepaliveCount: y.ssh.keepalive_count,
    }) as Profile['ssh'],
    controller: { metricsPort: y.controller.metrics_port, orphanTimeoutMs: y.controller.orphan_timeout },
    slo: sloOf(y.slo),
    rollout: { onInconclusive: y.rollout.on_inconclusive },
    ...optionalSections(y),
  };
}

/** The profile's `env:`, left out when it has no entry. */
function envOf(env: ProfileYaml['env'] | undefined): Pick<Profile, 'env'> {
  return env && Object.keys(env).length > 0 ? { env: { ...env } } : {};
}

function cacheOf(c: ProfileYaml['cache']): Profile['cache'] {
  const r = c.redis;
  return {
    enabled: c.enabled,
    maxEntries: c.max_entries,
    maxBytes: c.max_bytes,
    ttlMs: c.ttl,
    ...(r.url !== undefined ? { redis: { url: r.url, prefix: r.prefix, timeoutMs: r.timeout } } : {}),
    redisPrefix: r.prefix,
    redisTimeoutMs: r.timeout,
  };
}

/** The profile's hosts; without a `hosts` list, this machine alone, named `local`. */
function hostsOf(list: ProfileYaml['hosts']): HostSpec[] {
  if (list === undefined || list.length === 0) return [{ name: 'local', node: 'node' }];
  return list.map(
    (h) =>
      dropUndefined({
        name: h.name,
        ssh: h.ssh,
        address: h.address,
        cpus: h.cpus,
        memoryBytes: h.memory,
        gpus: h.gpus,
        workdir: h.workdir,
        node: h.node,
        registry: h.registry,
      }) as HostSpec,
  );
}

/** The `tune` and `cost` sections, each only when something in it was written. */
function optionalSections(y: ProfileYaml): Pick<Profile, 'tune' | 'cost'> {
  const tune = dropUndefined({
    batchSizes: y.tune.batch_sizes,
    batchWaitsMs: y.tune.batch_waits,
    replicas: y.tune.replicas,
    threads: y.tune.threads,
  });
  const cost = dropUndefined({ cpuHour: y.cost.cpu_hour, gpuHour: y.cost.gpu_hour, gibHour: y.cost.gib_hour });
  return { ...(Object.keys(tune).length > 0 ? { tune } : {}), ...(Object.keys(cost).length > 0 ? { cost } : {}) };
}

function sloOf(s: ProfileYaml['slo']): SloTargets {
  return dropUndefined({
    p50Ms: s.p50,
    p90Ms: s.p90,
    p95Ms: s.p95,
    p99Ms: s.p99,
    p999Ms: s.p999,
    maxMs: s.max,
    errorRate: s.error_rate,
    targetRps: s.throughput.target,
    minRps: s.throughput.minimum,
  });
}

/** The object without its undefined fields (absent targets are not gated, absent capacity is detected). */
function dropUndefined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** `~/x` → home; a relative path → against the directory serve runs in; an absolute one stays. */
export function resolveRegistry(registry: string, cwd: string): string {
  if (registry === '~' || registry.startsWith('~/')) return path.join(os.homedir(), registry.slice(1));
  return path.resolve(cwd, registry);
}
