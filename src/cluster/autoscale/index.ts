// Autoscaling (control plane): the pure policy (after Ray Serve's), its inputs, the latency guard and
// the loop that samples load and asks for a count. Imports nothing else of cluster/ but events.ts.
export * from './autoscaler.js';
export * from './context.js';
export * from './latency-window.js';
export * from './loop.js';
export * from './metrics-parse.js';
