// How a replica's resources, batching, runtime, health checks and restarts carry to each target
// (export plane, pure): what each engine's replica or instance takes, and what it cannot.
import { gatewaySettingsTable } from '../common/settings/table-gateway.js';
import { formatBytes } from '../common/units.js';
import { formatDuration } from '../profile/fields/fields.js';
import type { ProfilePath } from '../profile/schema.js';
import { rows, type CarryContext, type CarryRow } from './carry-types.js';
import type { ExportTarget } from './types.js';

const d = formatDuration;
const dpMaxInflight = gatewaySettingsTable.maxInflightPerReplica.default as number;

const tritonNoLimits = (c: CarryContext) =>
  `a standalone Triton does not limit one instance's CPU or memory (` +
  `${c.profile.resources.cpus} CPU, ${formatBytes(c.profile.resources.memoryBytes)}` +
  ` per replica): size the host or the container for all instances`;
const restartWhy: Record<ExportTarget, string> = {
  triton:
    'Triton does not restart itself; run it under a supervisor (systemd Restart=, a ' +
    'container restart policy) with its own backoff',
  kserve:
    'Kubernetes restarts a failed container with its own backoff (10s doubling to 5 ' +
    'min), not configurable per pod',
  ray:
    'Ray Serve replaces an unhealthy or dead replica itself, with its own backoff, ' +
    'not configurable per deployment',
};

/** Rows of the resources, batching, runtime, health and restart sections, spread into the carry table (export/carry.ts). */
export const replicaCarry: { [K in ProfilePath]?: CarryRow } = {
  'resources.cpus': {
    triton: { warn: tritonNoLimits },
    kserve: { to: 'resources.requests/limits cpu' },
    ray: { to: 'ray_actor_options.num_cpus' },
  },
  'resources.gpus': {
    triton: { to: 'instance_group kind KIND_GPU and the instances per GPU' },
    kserve: {
      to: 'resources.limits nvidia.com/gpu',
      warn: (c) =>
        c.profile.resources.gpus > 0 &&
        !Number.isInteger(c.profile.resources.gpus) &&
        c.profile.runtime.device !== 'cpu'
          ? `Kubernetes counts nvidia.com/gpu in whole GPUs: ${c.profile.resources.gpus} ` +
            `GPU per replica is written as ${Math.ceil(c.profile.resources.gpus)}; to put ` +
            `${Math.round(1 / c.profile.resources.gpus)} pods on one GPU, enable ` +
            `time-slicing (NVIDIA device plugin sharing.timeSlicing.replicas: ` +
            `${Math.round(1 / c.profile.resources.gpus)}) or MPS on the nodes`
          : undefined,
    },
    ray: {
      to: 'ray_actor_options.num_gpus',
      warn: (c) =>
        c.profile.resources.gpus > 0 && c.profile.runtime.device === 'auto'
          ? `num_gpus ${c.profile.resources.gpus} is written as the profile says: Ray ` +
            `places such a replica only on a node with a GPU (serve's runtime.device auto ` +
            `would fall back to the CPU); set resources.gpus 0 for a CPU-only Ray cluster`
          : undefined,
    },
  },
  'resources.memory': {
    triton: { warn: tritonNoLimits },
    kserve: { to: 'resources.requests/limits memory' },
    ray: { to: 'ray_actor_options.memory' },
  },
  'batching.max_batch_size': {
    triton: { to: 'max_batch_size' },
    kserve: { to: 'the Triton config (max_batch_size)' },
    ray: { to: '@serve.batch(max_batch_size=...) in the module; a batch counts requests there, rows in serve' },
  },
  'batching.batch_wait_timeout': {
    triton: { to: 'dynamic_batching.max_queue_delay_microseconds' },
    kserve: { to: 'the Triton config' },
    ray: { to: '@serve.batch(batch_wait_timeout_s=...)' },
  },
  'batching.max_queued_requests': {
    triton: {
      to: 'dynamic_batching.default_queue_policy.max_queue_size',
      warn: (c) =>
        `Triton bounds each of the 10 priority levels' queues separately (up to ` +
        `${10 * c.profile.batching.maxQueuedRequests} in all); serve bounds all ` +
        `priorities together at ${c.profile.batching.maxQueuedRequests} and sheds the ` +
        `lowest priority first`,
    },
    kserve: {
      to: 'the Triton config',
      warn: (c) =>
        `Triton bounds each of the 10 priority levels' queues separately (up to ` +
        `${10 * c.profile.batching.maxQueuedRequests} in all); serve bounds all ` +
        `priorities together at ${c.profile.batching.maxQueuedRequests}`,
    },
    ray: {
      to:
        `max_ongoing_requests (the smaller of it and the ${dpMaxInflight} requests ` +
        `serve's gateway keeps in flight per replica)`,
    },
  },
  'batching.mode': {
    triton: {
      warn: (c) =>
        c.profile.batching.mode === 'adaptive' && c.profile.batching.batchWaitMs > 0
          ? `Triton's dynamic batcher has no adaptive mode: with ` +
            `max_queue_delay_microseconds ` +
            `${Math.round(c.profile.batching.batchWaitMs * 1000)} it holds a batch that is ` +
            `not full for up to ${d(c.profile.batching.batchWaitMs)} even when an instance ` +
            `is idle (serve's fixed mode); export with batching.batch_wait_timeout 0 to ` +
            `dispatch at once`
          : undefined,
    },
    kserve: {
      warn: (c) =>
        c.profile.batching.mode === 'adaptive' && c.profile.batching.batchWaitMs > 0
          ? `Triton's dynamic batcher has no adaptive mode: a batch that is not full waits ` +
            `up to ${d(c.profile.batching.batchWaitMs)} even when an instance is idle ` +
            `(serve's fixed mode)`
          : undefined,
    },
    ray: {
      warn: (c) =>
        c.profile.batching.mode === 'adaptive' && c.profile.batching.batchWaitMs > 0
          ? `@serve.batch has no adaptive mode: the first request of a batch waits up to ` +
            `batch_wait_timeout_s (${d(c.profile.batching.batchWaitMs)}) for company even ` +
            `when the replica is idle (serve's fixed mode)`
          : undefined,
    },
  },
  'runtime.device': {
    triton: { to: 'instance_group kind' },
    kserve: { to: 'the Triton config and the GPU request' },
    ray: { to: "the module's ONNX Runtime providers" },
  },
  'runtime.threads': {
    triton: { to: 'parameters intra_op_thread_count' },
    kserve: { to: 'the Triton config' },
    ray: { to: "the module's intra_op_num_threads" },
  },
  'health.period': {
    triton: {
      warn: () =>
        "a standalone Triton is not probed by anyone: point your load balancer's health " + 'check at /v2/health/ready',
    },
    kserve: { to: 'readinessProbe.periodSeconds' },
    ray: { to: 'health_check_period_s' },
  },
  'health.timeout': {
    triton: {
      warn: () =>
        "a standalone Triton is not probed by anyone: point your load balancer's health " + 'check at /v2/health/ready',
    },
    kserve: { to: 'readinessProbe.timeoutSeconds' },
    ray: { to: 'health_check_timeout_s' },
  },
  'health.failure_threshold': {
    triton: {
      warn: () =>
        "a standalone Triton is not probed by anyone: point your load balancer's health " + 'check at /v2/health/ready',
    },
    kserve: { to: 'readinessProbe.failureThreshold' },
    ray: {
      warn: (c) =>
        c.profile.health.failureThreshold === 3
          ? undefined
          : `Ray marks a replica unhealthy after a fixed 3 failed health checks (not ` +
            `configurable per deployment), not ${c.profile.health.failureThreshold}`,
    },
  },
  'health.startup_timeout': {
    triton: {
      warn: () =>
        "a standalone Triton is not probed by anyone: point your load balancer's health " + 'check at /v2/health/ready',
    },
    kserve: { to: 'startupProbe (failureThreshold x periodSeconds)' },
    ray: {
      warn: (c) =>
        `Ray Serve has no per-deployment startup timeout (` +
        `${d(c.profile.health.startupTimeoutMs)}): a replica whose constructor hangs is ` +
        `waited for`,
    },
  },
  ...rows(
    [
      'restart.initial_backoff',
      'restart.multiplier',
      'restart.max_backoff',
      'restart.reset_after',
      'restart.crash_loop.failures',
      'restart.crash_loop.window',
      'restart.failed_retry',
    ],
    {
      triton: { warn: () => restartWhy.triton },
      kserve: { warn: () => restartWhy.kserve },
      ray: { warn: () => restartWhy.ray },
    },
  ),
};

/** resources.gpu_memory's row: the carry table places it after the gateway's rows (export/carry.ts). */
export const gpuMemoryRow: CarryRow = {
  triton: {
    warn: (c) =>
      c.profile.resources.gpuMemoryBytes === undefined
        ? undefined
        : 'Triton has no per-instance GPU memory limit: resources.gpu_memory is not ' +
          'enforced (size the instance_group count instead)',
  },
  kserve: {
    warn: (c) =>
      c.profile.resources.gpuMemoryBytes === undefined
        ? undefined
        : 'Kubernetes hands out whole GPUs or MIG profiles, not GPU memory: ' +
          'resources.gpu_memory is not enforced (pick a MIG profile of that size)',
  },
  ray: {
    warn: (c) =>
      c.profile.resources.gpuMemoryBytes === undefined
        ? undefined
        : 'Ray schedules fractions of a GPU, not GPU memory: resources.gpu_memory is not ' +
          'enforced (use a custom resource)',
  },
};
