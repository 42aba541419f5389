// Every Prometheus metric the controller exposes (control plane), read from a fresh ControllerMetrics
// over an empty status without starting anything; docs/reference/metrics.md is rendered from it.
import type { ClusterStatus } from '../../common/cluster-status.js';
import { describeMetrics, type MetricInfo } from '../../common/monitoring.js';
import { defaultProfile } from '../../profile/defaults.js';
import { ControllerMetrics } from './controller-metrics.js';

/** The controller's metrics, sorted by name. Nothing is scraped, so the status is never read. */
export function controllerMetricCatalog(): MetricInfo[] {
  const neverRead = (): ClusterStatus => {
    throw new Error('the metrics catalog does not scrape');
  };
  return describeMetrics(new ControllerMetrics(neverRead, defaultProfile).registry, 'controller');
}
