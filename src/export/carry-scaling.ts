// How replica counts and autoscaling carry to each target (export plane, pure): Triton has none,
// KServe scales with Knative (or KEDA for a schedule), Ray Serve with its autoscaling_config.
import { formatDuration } from '../profile/fields/fields.js';
import type { ProfilePath } from '../profile/schema.js';
import { same, type CarryContext, type CarryRow } from './carry-types.js';

const d = formatDuration;

const tritonNoAutoscaling = (c: CarryContext) =>
  `a standalone Triton has no autoscaling: it runs a fixed number of instances ` +
  `(replicas.initial = ${c.profile.replicas.initial}); replicas ` +
  `${c.profile.replicas.min}..${c.profile.replicas.max} and the autoscaling ` +
  `section apply only with --to kserve or --to ray`;

/** Rows of the replicas and autoscaling sections, spread into the carry table (export/carry.ts). */
export const scalingCarry: { [K in ProfilePath]?: CarryRow } = {
  'replicas.min': {
    triton: { warn: tritonNoAutoscaling },
    kserve: { to: "spec.predictor.minReplicas (a schedule: the ScaledObject's minReplicaCount and cron floors)" },
    ray: { to: 'autoscaling_config.min_replicas' },
  },
  'replicas.max': {
    triton: { warn: tritonNoAutoscaling },
    kserve: { to: 'spec.predictor.maxReplicas (a schedule: maxReplicaCount)' },
    ray: { to: 'autoscaling_config.max_replicas' },
  },
  'replicas.initial': {
    triton: { to: 'instance_group count (CPU instances)' },
    kserve: {
      to: 'autoscaling.knative.dev/initial-scale',
      warn: (c) =>
        c.schedule
          ? `KEDA's HPA has no initial count: the Deployment starts at minReplicaCount, not ` +
            `at replicas.initial = ${c.profile.replicas.initial}`
          : undefined,
    },
    ray: { to: 'autoscaling_config.initial_replicas (num_replicas when autoscaling is off)' },
  },
  'autoscaling.enabled': {
    triton: { na: 'a standalone Triton never autoscales (see replicas.min)' },
    kserve: { to: 'minReplicas = maxReplicas = initial when off' },
    ray: { to: 'autoscaling_config, or num_replicas when off' },
  },
  'autoscaling.target_ongoing_requests': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: "scaleMetric concurrency, scaleTarget (a schedule: the Prometheus trigger's threshold)",
      warn: (c) =>
        Number.isInteger(c.profile.autoscaling.targetOngoingRequests) || c.schedule
          ? undefined
          : `KServe's scaleTarget is a whole number: ` +
            `${c.profile.autoscaling.targetOngoingRequests} is written as ` +
            `${Math.max(1, Math.round(c.profile.autoscaling.targetOngoingRequests))}`,
    },
    ray: { to: 'autoscaling_config.target_ongoing_requests' },
  },
  'autoscaling.upscale_delay': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'a schedule: the HPA scaleUp stabilization window',
      warn: (c) =>
        c.schedule
          ? undefined
          : `Knative has no upscale delay (${d(c.profile.autoscaling.upscaleDelayMs)}): it ` +
            `adds pods as soon as the concurrency averaged over the window is above the ` +
            `target, and at once in panic mode`,
    },
    ray: { to: 'autoscaling_config.upscale_delay_s' },
  },
  'autoscaling.downscale_delay': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'autoscaling.knative.dev/scale-down-delay (a schedule: the HPA scaleDown ' + 'stabilization window)',
      warn: (c) =>
        !c.schedule && c.profile.autoscaling.downscaleDelayMs > 3_600_000
          ? `Knative's scale-down-delay is at most 1h: ` +
            `${d(c.profile.autoscaling.downscaleDelayMs)} is written as 1h`
          : undefined,
    },
    ray: { to: 'autoscaling_config.downscale_delay_s' },
  },
  'autoscaling.metrics_interval': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'a schedule: pollingInterval',
      warn: (c) =>
        c.schedule
          ? `the HPA that KEDA drives reads the metrics every 15s ` +
            `(kube-controller-manager's --horizontal-pod-autoscaler-sync-period), not every ` +
            `${d(c.profile.autoscaling.metricsIntervalMs)}; pollingInterval only wakes a ` +
            `scaled-to-zero target`
          : `Knative's autoscaler ticks every 2s cluster-wide (config-autoscaler ` +
            `tick-interval), not every ${d(c.profile.autoscaling.metricsIntervalMs)}`,
    },
    ray: {
      warn: (c) =>
        `Ray deprecates autoscaling_config.metrics_interval_s: set ` +
        `RAY_SERVE_REPLICA_AUTOSCALING_METRIC_PUSH_INTERVAL_S=` +
        `${c.profile.autoscaling.metricsIntervalMs / 1000} and ` +
        `RAY_SERVE_HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S=` +
        `${c.profile.autoscaling.metricsIntervalMs / 1000} on the Ray cluster for the ` +
        `profile's ${d(c.profile.autoscaling.metricsIntervalMs)}`,
    },
  },
  'autoscaling.look_back': {
    triton: { warn: tritonNoAutoscaling },
    kserve: {
      to: 'autoscaling.knative.dev/window (a schedule: the rate window of the Prometheus query)',
      warn: (c) => {
        const ms = c.profile.autoscaling.lookbackMs;
        if (c.schedule)
          return (
            `the Prometheus query averages over [${d(ms)}]: Prometheus must scrape the pods ` +
            `at least twice in that window (a scrape interval of ${d(ms / 2)} or less)`
          );
        return ms < 6000 || ms > 3_600_000
          ? `Knative's window is 6s..1h: ${d(ms)} is written as ` + `${d(Math.min(3_600_000, Math.max(6000, ms)))}`
          : undefined;
      },
    },
    ray: { to: 'autoscaling_config.look_back_period_s' },
  },
  'autoscaling.latency_guard': same({
    warn: (c) =>
      c.profile.autoscaling.latencyGuard
        ? `no target scales on latency: serve's latency guard (add a replica while p99 is ` +
          `over slo.p99 = ` +
          `${c.profile.slo.p99Ms === undefined ? 'unset' : d(c.profile.slo.p99Ms)} with ` +
          `requests queued) is not exported; only the in-flight target scales`
        : undefined,
  }),
};
