// Rollouts (control plane): the pure step machine, the judge (intervals from stats/), per-version
// windows from the gateway's histogram, the warmup of new replicas, and the runner that carries
// them out against a host seam the controller provides. May import autoscale/ (its scaling target
// type) and cluster/events.ts; never the controller.
export * from './judge.js';
export { callLine, judgementLine } from './judgement-lines.js';
export * from './runner.js';
export { DEFAULT_MAX_STEP_FACTOR } from './decisions.js';
export * from './steps.js';
export { windowMsFor } from './step-windows.js';
export { WARM_REQUEST_TIMEOUT_MS, warmReplica, warmupBody, warmupLine, type WarmResult } from './warmup.js';
