// The statistics core (stats, pure, no I/O): intervals for percentiles, rates and ratios from a
// run's per-second windows, and the minimum detectable effect. Imports only common/.
export * from './windows.js';
export * from './normal.js';
export * from './bootstrap.js';
export * from './ratio.js';
export * from './mde.js';
export * from './rates.js';
