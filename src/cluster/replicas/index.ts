// Replicas and the gateway as supervised children (control plane): the supervised-child state machine,
// replica slots, the supervisor that keeps the count, probes, rolling replacement and live batching
// changes. May import launchers/, placement/, autoscale/ (its metrics parsing) and cluster/events.ts.
export * from './child-state.js';
export * from './http-probe.js';
export * from './policy-in-force.js';
export * from './proc-stats.js';
export * from './reconfigure.js';
export type { AdoptedReplica } from './slot-process.js';
export * from './supervised-child.js';
export * from './supervisor.js';
