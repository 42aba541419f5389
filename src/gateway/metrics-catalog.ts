// Every Prometheus metric the gateway can expose (gateway, data plane), registered on a fresh registry
// without a server: the base set plus the cache, auth, migration and shadow series that only appear
// when those features are on. docs/reference/metrics.md is rendered from it.
import { Registry } from 'prom-client';
import { describeMetrics, type MetricInfo } from '../common/monitoring.js';
import { AuthMetrics } from './auth/metrics.js';
import { CacheMetrics } from './cache/cache-metrics.js';
import { GatewayMetrics } from './metrics.js';
import { otherRequestsCounter } from './migration.js';
import { shadowCounters } from './shadow/shadow.js';

/** The gateway's metrics, sorted by name. */
export function gatewayMetricCatalog(): MetricInfo[] {
  const zero = () => 0;
  const base = new GatewayMetrics({
    inflight: zero,
    queued: zero,
    replicaCounts: () => ({ ready: 0, not_ready: 0, ejected: 0 }),
  });
  const registry: Registry = base.registry;
  new CacheMetrics(registry, { bytes: zero, entries: zero, evictions: zero });
  new AuthMetrics(registry);
  otherRequestsCounter(registry);
  shadowCounters(registry);
  return describeMetrics(registry, 'gateway');
}
