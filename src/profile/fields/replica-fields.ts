// The profile's replica sections (control plane): the model, replica counts, autoscaling, resources,
// batching, runtime, health probes and restarts; data-plane leaves come from the settings table.
import { replicaSettingsTable as rep, type ReplicaSettings } from '../../common/settings/table.js';
import {
  boolean,
  bytes,
  duration,
  identifier,
  integer,
  number,
  section,
  settingLeaf,
  text,
  version,
} from './fields.js';

/** A leaf whose kind, default and documentation are the replica settings table's entry `k`. */
export const replica = <K extends keyof ReplicaSettings>(k: K) => settingLeaf<ReplicaSettings[K]>(rep[k]);

export const model = section(
  'The model to serve, from a registry folder laid out as ' + '`<registry>/<name>/<version>/model.onnx`.',
  {
    name: identifier({ what: 'a model name such as "cnn-lstm"', doc: 'Model name in the registry.', required: true }),
    version: version({ doc: 'Model version, or "latest" for the highest one in the registry.', default: 'latest' }),
    registry: text({
      what: 'a folder path such as "./models"',
      doc:
        'Registry folder; a relative path is resolved against the directory `serve` runs ' +
        "in. ${PROFILE_DIR} is the profile file's folder.",
      default: './models',
    }),
  },
);

export const replicas = section('How many replicas run.', {
  min: integer({ min: 0, max: 1024, doc: 'Fewest replicas the autoscaler keeps.', default: 1 }),
  max: integer({
    min: 1,
    max: 1024,
    doc: 'Most replicas the autoscaler starts.',
    defaultText: 'the larger of min and initial',
  }),
  initial: integer({ min: 0, max: 1024, doc: 'Replicas started by `serve up`.', defaultText: 'min' }),
});

export const autoscaling = section(
  'Request-based autoscaling (like Ray Serve): keep requests in flight at replicas ' +
    'plus queued at the gateway near a target per replica.',
  {
    enabled: boolean({
      doc: 'Scale between replicas.min and replicas.max; false keeps the replica count fixed.',
      default: true,
    }),
    target_ongoing_requests: number({
      positive: true,
      max: 10_000,
      unit: 'requests',
      doc:
        'Desired requests per replica: in flight at the replicas plus queued at the ' +
        'gateway, divided by the replica count.',
      default: 3,
    }),
    upscale_delay: duration({
      doc: 'Load must stay above target this long before replicas are added.',
      default: '15s',
    }),
    downscale_delay: duration({
      doc: 'Load must stay below target this long before replicas are removed.',
      default: '120s',
    }),
    metrics_interval: duration({
      positive: true,
      doc:
        "How often the controller samples the replicas' in-flight requests and the " + "gateway's queue and latency.",
      default: '1s',
    }),
    look_back: duration({ positive: true, doc: 'Window over which samples are averaged.', default: '10s' }),
    latency_guard: boolean({
      doc:
        "Also scale up, one replica at a time, while the gateway's p99 over look_back " +
        "exceeds slo.p99 and requests wait at the gateway or in the replicas' queues " +
        '(see Autoscaling).',
      default: false,
    }),
  },
);

export const resources = section('What one replica needs; placement packs replicas onto the host by these.', {
  cpus: number({ positive: true, max: 1024, unit: 'CPUs', doc: 'CPUs per replica (fractions allowed).', default: 1 }),
  gpus: number({
    min: 0,
    max: 64,
    unit: 'GPUs',
    doc:
      'GPUs per replica when a GPU exists (0.5 = two replicas share one; above 1 a ' +
      'whole number); ignored on CPU-only hosts.',
    default: 0,
  }),
  memory: bytes({
    doc:
      'Memory per replica; a replica whose RSS exceeds it is restarted (on this ' +
      'machine; not checked on SSH hosts).',
    default: '1GiB',
  }),
  gpu_memory: bytes({
    doc:
      "GPU memory per GPU replica, checked against each GPU's free memory as " +
      'nvidia-smi reports it when `serve up` starts.',
    defaultText: 'not checked',
  }),
});

export const batching = section('Dynamic batching inside each replica.', {
  max_batch_size: replica('maxBatchSize'),
  batch_wait_timeout: replica('batchWaitMs'),
  mode: replica('batchingMode'),
  max_queued_requests: replica('maxQueuedRequests'),
});

export const runtime = section('ONNX Runtime settings of each replica.', {
  device: replica('device'),
  threads: replica('threads'),
});

export const health = section('Readiness probes the controller sends to every replica.', {
  period: duration({ positive: true, doc: 'Time between probes.', default: '500ms' }),
  timeout: duration({
    positive: true,
    doc: 'A probe slower than this fails; must be shorter than period.',
    default: '200ms',
  }),
  failure_threshold: integer({
    min: 1,
    max: 100,
    doc: 'Consecutive failed probes before a replica is ejected and replaced.',
    default: 3,
  }),
  startup_timeout: duration({
    positive: true,
    doc: 'How long a starting replica may take to become ready; a start that times out ' + 'counts as a failure.',
    default: '30s',
  }),
});

export const restart = section('Restarting replicas that exit or fail their probes, with exponential backoff.', {
  initial_backoff: duration({ doc: 'Wait before the first restart.', default: '100ms' }),
  multiplier: number({
    min: 1,
    max: 100,
    unit: 'factor',
    doc: 'Each further restart waits this many times longer.',
    default: 1.5,
  }),
  max_backoff: duration({ doc: 'Longest wait between restarts.', default: '15s' }),
  reset_after: duration({
    doc: 'Healthy time after which the backoff starts again from initial_backoff.',
    default: '30s',
  }),
  crash_loop: section('When to stop restarting and mark the replica failed.', {
    failures: integer({
      min: 1,
      max: 1000,
      doc: 'Failures within the window, or failed starts in a row (never ready), that mark a crash loop.',
      default: 5,
    }),
    window: duration({ positive: true, doc: 'Window in which failures are counted.', default: '10s' }),
  }),
  failed_retry: duration({
    positive: true,
    doc: 'How long a failed (crash-looping) replica waits before it is tried once more from scratch.',
    default: '5m',
  }),
});
