// The controller's own Prometheus metrics (control plane): replicas by state, desired and bounds,
// restarts, failed health checks, crash loops, scaling decisions, each replica's CPU and memory
// against its resources, and the active profile. Gauges read the status when scraped.
import { Counter, Gauge, Registry } from 'prom-client';
import type { ClusterStatus, ReplicaState } from '../../common/cluster-status.js';
import type { Profile } from '../../profile/types.js';
import type { ClusterEvent } from '../events.js';

const replicaStates: readonly ReplicaState[] = [
  'pending',
  'starting',
  'ready',
  'unhealthy',
  'restarting',
  'draining',
  'failed',
  'lost',
];

/** Who decided a change of the replica count. */
export type ScalingSource = 'autoscaler' | 'manual';

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter;
  private readonly unhealthy: Counter;
  private readonly crashLoops: Counter;
  private readonly decisions: Counter<'direction' | 'source'>;

  /** `status` is read at every scrape; `profile()` (the one in force then) gives the bounds and each replica's resources. */
  constructor(status: () => ClusterStatus, profile: () => Profile) {
    const registers = [this.registry];
    const gauge = (name: string, help: string, collect: (g: Gauge) => void, labelNames: string[] = []) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          collect(this);
        },
      });
    gauge(
      'serve_controller_replicas',
      'Replicas by state (pending, starting, ready, unhealthy, restarting, draining, failed, lost).',
      (g) => {
        const counts = new Map<string, number>(replicaStates.map((s) => [s, 0]));
        for (const r of status().replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
        for (const [state, n] of counts) g.labels(state).set(n);
      },
      ['state'],
    );
    gauge('serve_controller_replicas_desired', 'Replicas the controller aims for (autoscaler or serve scale).', (g) =>
      g.set(status().desiredReplicas),
    );
    gauge('serve_controller_replicas_min', 'replicas.min of the active profile.', (g) => g.set(profile().replicas.min));
    gauge('serve_controller_replicas_max', 'replicas.max of the active profile.', (g) => g.set(profile().replicas.max));
    gauge(
      'serve_controller_autoscaling_active',
      '1 while the autoscaler applies its decisions (0: off in the profile, or paused ' + 'by serve scale --force).',
      (g) => {
        const a = status().autoscaling;
        g.set(a.enabled && a.active ? 1 : 0);
      },
    );
    gauge(
      'serve_controller_active_profile',
      'The profile the cluster runs (always 1; the labels say which).',
      (g) => {
        const s = status();
        g.reset();
        g.labels(s.profile.name, s.model.name, String(s.model.version)).set(1);
      },
      ['name', 'model', 'version'],
    );
    gauge('serve_controller_gateway_restarts', 'Times the gateway process was restarted.', (g) =>
      g.set(status().gateway.restarts),
    );
    this.perReplica(status, profile);
    this.restarts = new Counter({
      name: 'serve_controller_replica_restarts_total',
      help: 'Replica processes restarted after they exited or were replaced.',
      registers,
    });
    this.unhealthy = new Counter({
      name: 'serve_controller_health_check_failures_total',
      registers,
      help:
        'Replicas found unhealthy and replaced: health.failure_threshold failed ' +
        'readiness probes in a row, not ready within health.startup_timeout, or RSS over ' +
        'resources.memory.',
    });
    this.crashLoops = new Counter({
      name: 'serve_controller_crash_loops_total',
      help: 'Replicas marked failed by the crash-loop rule.',
      registers,
    });
    this.decisions = new Counter({
      name: 'serve_controller_scaling_decisions_total',
      help: 'Changes of the replica count, by direction (up, down) and source (autoscaler, manual).',
      labelNames: ['direction', 'source'],
      registers,
    });
  }

  /** Each replica's CPU and memory against what its profile gives it; gone replicas drop out. */
  private perReplica(status: () => ClusterStatus, profile: () => Profile): void {
    const registers = [this.registry];
    const each = (name: string, help: string, value: (r: ClusterStatus['replicas'][number]) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['replica'],
        registers,
        collect() {
          this.reset();
          for (const r of status().replicas) {
            const v = value(r);
            if (v !== undefined) this.labels(r.id).set(v);
          }
        },
      });
    each(
      'serve_controller_replica_cpu_usage_ratio',
      'CPU a replica used over the last probe period, as a share of its resources.cpus ' + '(1 = all of them).',
      (r) => (r.cpuPercent === undefined ? undefined : r.cpuPercent / 100 / profile().resources.cpus),
    );
    each(
      'serve_controller_replica_memory_usage_ratio',
      "A replica's RSS as a share of resources.memory (at 1 it is replaced).",
      (r) => {
        const limitBytes = profile().resources.memoryBytes;
        return r.rssBytes === undefined || limitBytes <= 0 ? undefined : r.rssBytes / limitBytes;
      },
    );
    each('serve_controller_replica_rss_bytes', "A replica's resident memory in bytes.", (r) => r.rssBytes);
  }

  /** Counts what an event says happened to a replica. */
  event(e: ClusterEvent): void {
    if (e.id === undefined) return;
    if (e.kind === 'restarting') this.restarts.inc();
    else if (e.kind === 'unhealthy') this.unhealthy.inc();
    else if (e.kind === 'failed') this.crashLoops.inc();
  }

  /** Counts a change of the replica count from `from` to `to` (no change: nothing). */
  scaled(from: number, to: number, source: ScalingSource): void {
    if (to !== from) this.decisions.labels(to > from ? 'up' : 'down', source).inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
