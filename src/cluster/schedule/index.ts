// Schedules (control plane): the runner that switches a running cluster between profiles at market
// hours, what a switch does, and what a rollout holds back. May import replicas/ and autoscale/.
export * from './profile-switch.js';
export * from './runner.js';
export * from './switch-hold.js';
