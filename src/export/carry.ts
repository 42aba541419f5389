// How every profile field carries over to each target (export plane, pure): where its value is
// written, or why it cannot be and the warning to print. A field without a row fails a test (see
// test/export/carry.test.ts), so a new profile field is never silently dropped: add its row here.
import { gatewaySettingsTable } from '../common/settings-table-gateway.js';
import { formatBytes } from '../common/units.js';
import { formatDuration } from '../profile/fields.js';
import type { ProfilePath } from '../profile/schema.js';
import { gatewayCarry } from './carry-gateway.js';
import { rows, same, type CarryContext, type CarryRow } from './carry-types.js';
import type { ExportTarget } from './types.js';

export type { Carry, CarryContext, CarryRow } from './carry-types.js';

const d = formatDuration;
const dpMaxInflight = gatewaySettingsTable.maxInflightPerReplica.default as number;

const tritonNoAutoscaling = (c: CarryContext) =>
  `a standalone Triton has no autoscaling: it runs a fixed number of instances (replicas.initial = ${c.profile.replicas.initial}); replicas ${c.profile.replicas.min}..${c.profile.replicas.max} and the autoscaling section apply only with --to kserve or --to ray`;
const tritonNoLimits = (c: CarryContext) =>
  `a standalone Triton does not limit one instance's CPU or memory (${c.profile.resources.cpus} CPU, ${formatBytes(c.profile.resources.memoryBytes)} per replica): size the host or the container for all instances`;
const restartWhy: Record<ExportTarget, string> = {
  triton: 'Triton does not restart itself; run it under a supervisor (systemd Restart=, a container restart policy) with its own backoff',
  kserve: 'Kubernetes restarts a failed container with its own backoff (10s doubling to 5 min), not configurable per pod',
  ray: 'Ray Serve replaces an unhealthy or dead replica itself, with its own backoff, not configurable per deployment',
};
const ejectWhy: Record<ExportTarget, string> = {
  triton: 'a single Triton server has no replicas to eject',
  kserve: 'Kubernetes takes a pod out of routing only when its readiness probe fails, not after failed requests',
  ray: 'Ray Serve routes around a replica only when its health check fails, not after failed requests',
};

/**
 * Every profile field (YAML path; a list field such as `hosts` by its own path)
 * and how each target carries it. Keys are typed, so a renamed field does not compile; a field
 * with no row fails test/export/carry.test.ts with the row to add.
 */
export const carryTable: { [K in ProfilePath]?: CarryRow } & Record<string, CarryRow> = {
  name: same({ na: 'names the files and their headers' }),
  'model.name': { triton: { to: 'the model folder and config.pbtxt name' }, kserve: { to: 'metadata.name and the Triton model name' }, ray: { to: 'the application name and the OIP model name' } },
  'model.version': same({ to: 'the version folder (latest is resolved when exporting)' }),
  'model.registry': same({ na: 'where the model files are copied from' }),
  'replicas.min': {
    triton: { warn: tritonNoAutoscaling },
    kserve: { to: 'spec.predictor.minReplicas (a schedule: the ScaledObject\'s minReplicaCount and cron floors)' },
    ray: { to: 'autoscaling_config.min_replicas' },
  },
  'replicas.max': { triton: { warn: tritonNoAutoscaling }, kserve: { to: 'spec.predictor.maxReplicas (a schedule: maxReplicaCount)' }, ray: { to: 'autoscaling_config.max_replicas' } },
  'replicas.initial': {
    triton: { to: 'instance_group count (CPU instances)' },
    kserve: { to: 'autoscaling.knative.dev/initial-scale', warn: (c) => (c.schedule ? `KEDA's HPA has no initial count: the Deployment starts at minReplicaCount, not at replicas.initial = ${c.profile.replicas.initial}` : undefined) },
    ray: { to: 'autoscaling_config.initial_replicas (num_replicas when autoscaling is off)' },
  },
  'autoscaling.enabled': { triton: { na: 'a standalone Triton never autoscales (see replicas.min)' }, kserve: { to: 'minReplicas = maxReplicas = initial when off' }, ray: { to: 'autoscaling_config, or num_replicas when off' } },
  'autoscaling.target_ongoing_requests': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'scaleMetric concurrency, scaleTarget (a schedule: the Prometheus trigger\'s threshold)',
      warn: (c) => (Number.isInteger(c.profile.autoscaling.targetOngoingRequests) || c.schedule ? undefined : `KServe's scaleTarget is a whole number: ${c.profile.autoscaling.targetOngoingRequests} is written as ${Math.max(1, Math.round(c.profile.autoscaling.targetOngoingRequests))}`),
    },
    ray: { to: 'autoscaling_config.target_ongoing_requests' },
  },
  'autoscaling.upscale_delay': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'a schedule: the HPA scaleUp stabilization window',
      warn: (c) => (c.schedule ? undefined : `Knative has no upscale delay (${d(c.profile.autoscaling.upscaleDelayMs)}): it adds pods as soon as the concurrency averaged over the window is above the target, and at once in panic mode`),
    },
    ray: { to: 'autoscaling_config.upscale_delay_s' },
  },
  'autoscaling.downscale_delay': {
    triton: { warn: tritonNoAutoscaling },
    kserve: { to: 'autoscaling.knative.dev/scale-down-delay (a schedule: the HPA scaleDown stabilization window)', warn: (c) => (!c.schedule && c.profile.autoscaling.downscaleDelayMs > 3_600_000 ? `Knative's scale-down-delay is at most 1h: ${d(c.profile.autoscaling.downscaleDelayMs)} is written as 1h` : undefined) },
    ray: { to: 'autoscaling_config.downscale_delay_s' },
  },
  'autoscaling.metrics_interval': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'a schedule: pollingInterval',
      warn: (c) => (c.schedule
        ? `the HPA that KEDA drives reads the metrics every 15s (kube-controller-manager's --horizontal-pod-autoscaler-sync-period), not every ${d(c.profile.autoscaling.metricsIntervalMs)}; pollingInterval only wakes a scaled-to-zero target`
        : `Knative's autoscaler ticks every 2s cluster-wide (config-autoscaler tick-interval), not every ${d(c.profile.autoscaling.metricsIntervalMs)}`),
    },
    ray: { warn: (c) => `Ray deprecates autoscaling_config.metrics_interval_s: set RAY_SERVE_REPLICA_AUTOSCALING_METRIC_PUSH_INTERVAL_S=${c.profile.autoscaling.metricsIntervalMs / 1000} and RAY_SERVE_HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S=${c.profile.autoscaling.metricsIntervalMs / 1000} on the Ray cluster for the profile's ${d(c.profile.autoscaling.metricsIntervalMs)}` },
  },
  'autoscaling.look_back': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'autoscaling.knative.dev/window (a schedule: the rate window of the Prometheus query)',
      warn: (c) => {
        const ms = c.profile.autoscaling.lookbackMs;
        if (c.schedule) return `the Prometheus query averages over [${d(ms)}]: Prometheus must scrape the pods at least twice in that window (a scrape interval of ${d(ms / 2)} or less)`;
        return ms < 6000 || ms > 3_600_000 ? `Knative's window is 6s..1h: ${d(ms)} is written as ${d(Math.min(3_600_000, Math.max(6000, ms)))}` : undefined;
      },
    },
    ray: { to: 'autoscaling_config.look_back_period_s' },
  },
  'autoscaling.latency_guard': same({
    warn: (c) => (c.profile.autoscaling.latencyGuard ? `no target scales on latency: serve's latency guard (add a replica while p99 is over slo.p99 = ${c.profile.slo.p99Ms === undefined ? 'unset' : d(c.profile.slo.p99Ms)} with requests queued) is not exported; only the in-flight target scales` : undefined),
  }),
  'resources.cpus': { triton: { warn: tritonNoLimits }, kserve: { to: 'resources.requests/limits cpu' }, ray: { to: 'ray_actor_options.num_cpus' } },
  'resources.gpus': {
    triton: { to: 'instance_group kind KIND_GPU and the instances per GPU' },
    kserve: {
      to: 'resources.limits nvidia.com/gpu',
      warn: (c) => (c.profile.resources.gpus > 0 && !Number.isInteger(c.profile.resources.gpus) && c.profile.runtime.device !== 'cpu'
        ? `Kubernetes counts nvidia.com/gpu in whole GPUs: ${c.profile.resources.gpus} GPU per replica is written as ${Math.ceil(c.profile.resources.gpus)}; to put ${Math.round(1 / c.profile.resources.gpus)} pods on one GPU, enable time-slicing (NVIDIA device plugin sharing.timeSlicing.replicas: ${Math.round(1 / c.profile.resources.gpus)}) or MPS on the nodes`
        : undefined),
    },
    ray: {
      to: 'ray_actor_options.num_gpus',
      warn: (c) => (c.profile.resources.gpus > 0 && c.profile.runtime.device === 'auto'
        ? `num_gpus ${c.profile.resources.gpus} is written as the profile says: Ray places such a replica only on a node with a GPU (serve's runtime.device auto would fall back to the CPU); set resources.gpus 0 for a CPU-only Ray cluster`
        : undefined),
    },
  },
  'resources.memory': { triton: { warn: tritonNoLimits }, kserve: { to: 'resources.requests/limits memory' }, ray: { to: 'ray_actor_options.memory' } },
  'batching.max_batch_size': { triton: { to: 'max_batch_size' }, kserve: { to: 'the Triton config (max_batch_size)' }, ray: { to: '@serve.batch(max_batch_size=...) in the module; a batch counts requests there, rows in serve' } },
  'batching.batch_wait_timeout': { triton: { to: 'dynamic_batching.max_queue_delay_microseconds' }, kserve: { to: 'the Triton config' }, ray: { to: '@serve.batch(batch_wait_timeout_s=...)' } },
  'batching.max_queued_requests': {
    triton: { to: 'dynamic_batching.default_queue_policy.max_queue_size', warn: (c) => `Triton bounds each of the 10 priority levels' queues separately (up to ${10 * c.profile.batching.maxQueuedRequests} in all); serve bounds all priorities together at ${c.profile.batching.maxQueuedRequests} and sheds the lowest priority first` },
    kserve: { to: 'the Triton config', warn: (c) => `Triton bounds each of the 10 priority levels' queues separately (up to ${10 * c.profile.batching.maxQueuedRequests} in all); serve bounds all priorities together at ${c.profile.batching.maxQueuedRequests}` },
    ray: { to: `max_ongoing_requests (the smaller of it and the ${dpMaxInflight} requests serve's gateway keeps in flight per replica)` },
  },
  'batching.mode': {
    triton: { warn: (c) => (c.profile.batching.mode === 'adaptive' && c.profile.batching.batchWaitMs > 0 ? `Triton's dynamic batcher has no adaptive mode: with max_queue_delay_microseconds ${Math.round(c.profile.batching.batchWaitMs * 1000)} it holds a batch that is not full for up to ${d(c.profile.batching.batchWaitMs)} even when an instance is idle (serve's fixed mode); export with batching.batch_wait_timeout 0 to dispatch at once` : undefined) },
    kserve: { warn: (c) => (c.profile.batching.mode === 'adaptive' && c.profile.batching.batchWaitMs > 0 ? `Triton's dynamic batcher has no adaptive mode: a batch that is not full waits up to ${d(c.profile.batching.batchWaitMs)} even when an instance is idle (serve's fixed mode)` : undefined) },
    ray: { warn: (c) => (c.profile.batching.mode === 'adaptive' && c.profile.batching.batchWaitMs > 0 ? `@serve.batch has no adaptive mode: the first request of a batch waits up to batch_wait_timeout_s (${d(c.profile.batching.batchWaitMs)}) for company even when the replica is idle (serve's fixed mode)` : undefined) },
  },
  'runtime.device': { triton: { to: 'instance_group kind' }, kserve: { to: 'the Triton config and the GPU request' }, ray: { to: 'the module\'s ONNX Runtime providers' } },
  'runtime.threads': { triton: { to: 'parameters intra_op_thread_count' }, kserve: { to: 'the Triton config' }, ray: { to: 'the module\'s intra_op_num_threads' } },
  'health.period': { triton: { warn: () => 'a standalone Triton is not probed by anyone: point your load balancer\'s health check at /v2/health/ready' }, kserve: { to: 'readinessProbe.periodSeconds' }, ray: { to: 'health_check_period_s' } },
  'health.timeout': { triton: { warn: () => 'a standalone Triton is not probed by anyone: point your load balancer\'s health check at /v2/health/ready' }, kserve: { to: 'readinessProbe.timeoutSeconds' }, ray: { to: 'health_check_timeout_s' } },
  'health.failure_threshold': {
    triton: { warn: () => 'a standalone Triton is not probed by anyone: point your load balancer\'s health check at /v2/health/ready' },
    kserve: { to: 'readinessProbe.failureThreshold' },
    ray: { warn: (c) => (c.profile.health.failureThreshold === 3 ? undefined : `Ray marks a replica unhealthy after a fixed 3 failed health checks (not configurable per deployment), not ${c.profile.health.failureThreshold}`) },
  },
  'health.startup_timeout': {
    triton: { warn: () => 'a standalone Triton is not probed by anyone: point your load balancer\'s health check at /v2/health/ready' },
    kserve: { to: 'startupProbe (failureThreshold x periodSeconds)' },
    ray: { warn: (c) => `Ray Serve has no per-deployment startup timeout (${d(c.profile.health.startupTimeoutMs)}): a replica whose constructor hangs is waited for` },
  },
  ...rows(['restart.initial_backoff', 'restart.multiplier', 'restart.max_backoff', 'restart.reset_after', 'restart.crash_loop.failures', 'restart.crash_loop.window', 'restart.failed_retry'], { triton: { warn: () => restartWhy.triton }, kserve: { warn: () => restartWhy.kserve }, ray: { warn: () => restartWhy.ray } }),
  ...gatewayCarry,
  'gateway.host': {
    triton: { na: 'tritonserver listens on all addresses; its ports are command-line flags (see docs/guide/export.md, deploying each export)' },
    kserve: { na: 'the InferenceService gets its own URL' },
    ray: { to: 'http_options.host', warn: (c) => (/^(127\.|localhost$|::1$)/.test(c.profile.gateway.host) ? `Ray's proxies will listen on ${c.profile.gateway.host} only, unreachable from other machines: export with SERVE_HOST=0.0.0.0 (or edit http_options.host)` : undefined) },
  },
  'gateway.port': {
    triton: { na: 'tritonserver --http-port (see docs/guide/export.md, deploying each export)' },
    kserve: { na: 'the InferenceService gets its own URL' },
    ray: { to: 'http_options.port', warn: (c) => (c.profile.gateway.port === 0 ? 'gateway.port 0 (a free port) cannot be given to Ray: http_options.port is 8000' : undefined) },
  },
  'gateway.max_queued_requests': {
    triton: { warn: (c) => `there is no gateway queue in front of Triton (${c.profile.gateway.maxQueuedRequests} requests): requests wait in the model's queue (batching.max_queued_requests)` },
    kserve: {
      warn: (c) => (c.schedule
        ? `the Kubernetes Service in front of the pods has no queue (serve's gateway holds up to ${c.profile.gateway.maxQueuedRequests}): requests wait in Triton's queue (batching.max_queued_requests) and are shed beyond it`
        : `Knative's activator and queue-proxy buffer requests without serve's bound of ${c.profile.gateway.maxQueuedRequests}; Triton's own queue (batching.max_queued_requests) sheds beyond it`),
    },
    ray: { to: 'max_queued_requests (queued at each proxy, HTTP 503 beyond it)' },
  },
  'gateway.request_timeout': {
    triton: { to: 'dynamic_batching.default_queue_policy.default_timeout_microseconds', warn: (c) => `Triton times out a request only while it is queued (${d(c.profile.gateway.requestTimeoutMs)}, REJECT, overridable by the request's timeout parameter); serve's budget covers the whole request, retries included` },
    kserve: {
      to: 'spec.predictor.timeout and the Triton queue policy',
      warn: (c) => (c.profile.gateway.requestTimeoutMs % 1000 !== 0 ? `spec.predictor.timeout is in whole seconds: ${d(c.profile.gateway.requestTimeoutMs)} is written as ${Math.ceil(c.profile.gateway.requestTimeoutMs / 1000)}s (the Triton queue policy keeps ${d(c.profile.gateway.requestTimeoutMs)})` : undefined),
    },
    ray: { to: 'http_options.request_timeout_s' },
  },
  'gateway.eject_after_failures': { triton: { na: ejectWhy.triton }, kserve: { warn: () => ejectWhy.kserve }, ray: { warn: () => ejectWhy.ray } },
  'gateway.eject_for': { triton: { na: ejectWhy.triton }, kserve: { warn: () => ejectWhy.kserve }, ray: { warn: () => ejectWhy.ray } },
  drain_timeout: {
    triton: { warn: (c) => `tritonserver takes its drain time as a flag: run it with --exit-timeout-secs=${Math.ceil(c.profile.drainTimeoutMs / 1000)}` },
    kserve: { to: 'spec.predictor.terminationGracePeriodSeconds' },
    ray: { to: 'graceful_shutdown_timeout_s' },
  },
  'resources.gpu_memory': {
    triton: { warn: (c) => (c.profile.resources.gpuMemoryBytes === undefined ? undefined : 'Triton has no per-instance GPU memory limit: resources.gpu_memory is not enforced (size the instance_group count instead)') },
    kserve: { warn: (c) => (c.profile.resources.gpuMemoryBytes === undefined ? undefined : 'Kubernetes hands out whole GPUs or MIG profiles, not GPU memory: resources.gpu_memory is not enforced (pick a MIG profile of that size)') },
    ray: { warn: (c) => (c.profile.resources.gpuMemoryBytes === undefined ? undefined : 'Ray schedules fractions of a GPU, not GPU memory: resources.gpu_memory is not enforced (use a custom resource)') },
  },
  hosts: same({ na: 'the engine places replicas on its own nodes' }),
  ...rows(['ssh.known_hosts', 'ssh.identity_file', 'ssh.config_file', 'ssh.connect_timeout', 'ssh.keepalive', 'ssh.keepalive_count'], same({ na: 'serve reaches SSH hosts itself; the engine has its own nodes' })),
  ...rows(['tune.batch_sizes', 'tune.batch_waits', 'tune.replicas', 'tune.threads'], same({ na: 'a search space of `serve tune`; the export carries the values it chose, as written in the profile' })),
  ...rows(['cost.cpu_hour', 'cost.gpu_hour', 'cost.gib_hour'], same({ na: 'prices `serve tune` ranks configurations by; nothing to configure in the engine' })),
  'controller.metrics_port': same({ na: "the serve controller's own /metrics; the engine exports its own metrics" }),
  ...rows(['local.cpus', 'local.memory', 'local.gpus'], same({ na: 'the capacity of the host serve runs on' })),
  ...rows(['slo.p50', 'slo.p90', 'slo.p95', 'slo.p99', 'slo.p999', 'slo.max', 'slo.error_rate', 'slo.throughput.target', 'slo.throughput.minimum'], same({ na: 'a target `serve bench --profile` gates on, against any --url' })),
};

/**
 * The warnings of the carry table for `target`: one per distinct message, naming every field it
 * concerns ("replicas.min, replicas.max: ...").
 */
export function carryWarnings(target: ExportTarget, c: CarryContext): Array<{ field: string; message: string }> {
  const byMessage = new Map<string, string[]>();
  for (const [field, row] of Object.entries(carryTable)) {
    const message = row[target].warn?.(c);
    if (message === undefined) continue;
    byMessage.set(message, [...(byMessage.get(message) ?? []), field]);
  }
  return [...byMessage].map(([message, fields]) => ({ field: fields.join(', '), message }));
}
