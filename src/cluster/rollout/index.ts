// Rollouts (control plane): the pure step machine, the judge, per-version figures and the runner that
// carries them out against a host seam the controller provides. May import autoscale/ (its scaling
// target type) and cluster/events.ts; never the controller.
export * from './judge.js';
export * from './runner.js';
export * from './steps.js';
