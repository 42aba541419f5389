// The profile's YAML shape (control plane): every field, its kind, default and documentation. The
// loader, the JSON Schema for editors and the README field table are all derived from this tree.
import { autoOr, boolean, bytes, duration, fraction, identifier, integer, number, oneOf, text, version, type Section } from './fields.js';

/** The root of the profile tree; keys are the snake_case names written in YAML. */
export const profileTree: Section = {
  kind: 'section',
  doc: 'A serving profile: which model, how many replicas, how they scale, and the targets they must meet.',
  fields: {
    name: identifier({ what: 'a profile name', doc: 'Profile name shown by `serve status`.', defaultText: 'file name without .yaml' }),
    model: {
      kind: 'section',
      doc: 'The model to serve, from a registry folder laid out as `<registry>/<name>/<version>/model.onnx`.',
      fields: {
        name: identifier({ what: 'a model name such as "cnn-lstm"', doc: 'Model name in the registry.', required: true }),
        version: version({ doc: 'Model version, or "latest" for the highest one in the registry.', default: 'latest' }),
        registry: text({ what: 'a folder path such as "./models"', doc: 'Registry folder; a relative path is resolved against the directory `serve` runs in. ${PROFILE_DIR} is the profile file\'s folder.', default: './models' }),
      },
    },
    replicas: {
      kind: 'section',
      doc: 'How many replicas run.',
      fields: {
        min: integer({ min: 0, max: 1024, doc: 'Fewest replicas the autoscaler keeps.', default: 1 }),
        max: integer({ min: 1, max: 1024, doc: 'Most replicas the autoscaler starts.', defaultText: 'the larger of min and initial' }),
        initial: integer({ min: 0, max: 1024, doc: 'Replicas started by `serve up`.', defaultText: 'min' }),
      },
    },
    autoscaling: {
      kind: 'section',
      doc: 'Request-based autoscaling (like Ray Serve): keep in-flight requests per replica near a target.',
      fields: {
        enabled: boolean({ doc: 'Scale between replicas.min and replicas.max; false keeps the replica count fixed.', default: true }),
        target_ongoing_requests: number({ positive: true, max: 10_000, unit: 'requests', doc: 'Desired in-flight requests per replica.', default: 3 }),
        upscale_delay: duration({ doc: 'Load must stay above target this long before replicas are added.', default: '15s' }),
        downscale_delay: duration({ doc: 'Load must stay below target this long before replicas are removed.', default: '120s' }),
        metrics_interval: duration({ positive: true, doc: 'How often the controller samples in-flight requests.', default: '1s' }),
        look_back: duration({ positive: true, doc: 'Window over which samples are averaged.', default: '10s' }),
      },
    },
    resources: {
      kind: 'section',
      doc: 'What one replica needs; placement packs replicas onto the host by these.',
      fields: {
        cpus: number({ positive: true, max: 1024, unit: 'CPUs', doc: 'CPUs per replica (fractions allowed).', default: 1 }),
        gpus: number({ min: 0, max: 64, unit: 'GPUs', doc: 'GPUs per replica when a GPU exists (0.5 = two replicas share one; above 1 a whole number); ignored on CPU-only hosts.', default: 0 }),
        memory: bytes({ doc: 'Memory per replica; a replica whose RSS exceeds it is restarted.', default: '1GiB' }),
      },
    },
    batching: {
      kind: 'section',
      doc: 'Dynamic batching inside each replica.',
      fields: {
        max_batch_size: integer({ min: 1, max: 4096, doc: 'Most requests run as one batch.', default: 32 }),
        batch_wait_timeout: duration({ maxMs: 10_000, doc: 'Longest a request waits for a batch to fill.', default: '10ms' }),
        max_queued_requests: integer({ min: 1, max: 1_000_000, doc: 'Requests queued in a replica beyond which it answers 503 at once.', default: 256 }),
      },
    },
    runtime: {
      kind: 'section',
      doc: 'ONNX Runtime settings of each replica.',
      fields: {
        device: oneOf(['auto', 'cpu', 'cuda'], { doc: 'Execution provider; auto uses CUDA when the host has a GPU and resources.gpus > 0.', default: 'auto' }),
        threads: integer({ min: 1, max: 256, doc: 'ONNX Runtime intra-op threads per replica.', default: 1 }),
      },
    },
    health: {
      kind: 'section',
      doc: 'Readiness probes the controller sends to every replica.',
      fields: {
        period: duration({ positive: true, doc: 'Time between probes.', default: '500ms' }),
        timeout: duration({ positive: true, doc: 'A probe slower than this fails; must be shorter than period.', default: '200ms' }),
        failure_threshold: integer({ min: 1, max: 100, doc: 'Consecutive failed probes before a replica is ejected and replaced.', default: 3 }),
        startup_timeout: duration({ positive: true, doc: 'How long a starting replica may take to become ready.', default: '30s' }),
      },
    },
    restart: {
      kind: 'section',
      doc: 'Restarting replicas that exit or fail their probes, with exponential backoff.',
      fields: {
        initial_backoff: duration({ doc: 'Wait before the first restart.', default: '100ms' }),
        multiplier: number({ min: 1, max: 100, unit: 'factor', doc: 'Each further restart waits this many times longer.', default: 1.5 }),
        max_backoff: duration({ doc: 'Longest wait between restarts.', default: '15s' }),
        reset_after: duration({ doc: 'Healthy time after which the backoff starts again from initial_backoff.', default: '30s' }),
        crash_loop: {
          kind: 'section',
          doc: 'When to stop restarting and mark the replica failed.',
          fields: {
            failures: integer({ min: 1, max: 1000, doc: 'Failures within the window that mark a crash loop.', default: 5 }),
            window: duration({ positive: true, doc: 'Window in which failures are counted.', default: '10s' }),
          },
        },
      },
    },
    gateway: {
      kind: 'section',
      doc: 'The public endpoint in front of the replicas.',
      fields: {
        host: text({ what: 'a host or IP address such as "127.0.0.1"', doc: 'Address the gateway listens on.', default: '127.0.0.1' }),
        port: integer({ min: 0, max: 65535, doc: 'Port the gateway listens on; 0 picks a free one.', default: 8000 }),
        max_queued_requests: integer({ min: 0, max: 1_000_000, doc: 'Requests waiting for a free replica beyond which the gateway answers 503.', default: 1024 }),
        request_timeout: duration({ positive: true, doc: 'Upper bound on one request through the gateway, retries included.', default: '1s' }),
        eject_after_failures: integer({ min: 1, max: 1000, doc: 'Consecutive failures after which a replica is taken out of routing.', default: 5 }),
        eject_for: duration({ positive: true, doc: 'How long an ejected replica stays out of routing.', default: '10s' }),
      },
    },
    drain_timeout: duration({ doc: 'Grace period for in-flight requests on scale-down and `serve down` before SIGKILL.', default: '10s' }),
    local: {
      kind: 'section',
      doc: 'Capacity of this host for placement; "auto" detects it.',
      fields: {
        cpus: autoOr(number({ positive: true, doc: '' }), { doc: 'CPUs placement may hand out (os.availableParallelism when auto).', default: 'auto' }),
        memory: autoOr(bytes({ doc: '' }), { doc: 'Memory placement may hand out (total memory when auto).', default: 'auto' }),
        gpus: autoOr(integer({ min: 0, max: 64, doc: '' }), { doc: 'GPUs placement may hand out (detected when auto).', default: 'auto' }),
      },
    },
    slo: {
      kind: 'section',
      doc: 'Targets `serve bench --profile` gates on. Absent: the platform targets below; present: only the fields written are gated.',
      defaultsOnlyWhenAbsent: true,
      fields: {
        p50: duration({ positive: true, doc: 'Median latency target.', default: '50ms' }),
        p90: duration({ positive: true, doc: '90th percentile latency target.', defaultText: 'not gated' }),
        p95: duration({ positive: true, doc: '95th percentile latency target.', default: '80ms' }),
        p99: duration({ positive: true, doc: '99th percentile latency target.', default: '100ms' }),
        p999: duration({ positive: true, doc: '99.9th percentile latency target.', defaultText: 'not gated' }),
        max: duration({ positive: true, doc: 'Slowest request allowed.', default: '200ms' }),
        error_rate: fraction({ doc: 'Share of failed requests allowed.', default: '1%' }),
        throughput: {
          kind: 'section',
          doc: 'Request rate the deployment is meant to carry.',
          fields: {
            target: number({ positive: true, unit: 'req/s', doc: 'Requests per second the system is meant to carry (the default bench rate).', defaultText: 'not gated' }),
            minimum: number({ positive: true, unit: 'req/s', doc: 'The achieved rate must be at least this.', defaultText: 'not gated' }),
          },
        },
      },
    },
  },
};
