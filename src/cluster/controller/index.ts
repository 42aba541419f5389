// The controller (control plane): starts one cluster in a state directory, wires its parts together, holds
// what is in force, serves the admin API and reports status. The top of cluster/: it may import every
// other concern folder; none imports it.
export * from './controller.js';
