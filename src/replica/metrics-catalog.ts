// Every Prometheus metric a replica exposes (replica, data plane), read from a fresh ReplicaMetrics
// without a server; docs/reference/metrics.md is rendered from it. prom-client's process and Node.js
// defaults (serve_replica_process_*, serve_replica_nodejs_*) vary by platform and are left out.
import { describeMetrics, type MetricInfo } from '../common/monitoring.js';
import { ReplicaMetrics } from './metrics.js';

/** The labels every replica series carries (its registry's default labels). */
const replicaLabels = { model: '', version: '' };

/** The replica's own metrics, sorted by name. */
export function replicaMetricCatalog(): MetricInfo[] {
  const metrics = new ReplicaMetrics(replicaLabels);
  const isDefault = (name: string) => /^serve_replica_(process|nodejs)_/.test(name);
  return describeMetrics(metrics.registry, 'replica', Object.keys(replicaLabels), isDefault);
}
