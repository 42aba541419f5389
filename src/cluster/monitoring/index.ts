// Monitoring (control plane): the controller's own Prometheus metrics, its /metrics endpoint and
// the service-discovery file. May import autoscale/ (scaling target type) and cluster/events.ts.
export * from './metrics-catalog.js';
export * from './monitoring.js';
