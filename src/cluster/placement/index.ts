// Placement (control plane, pure): which host each replica goes to by CPUs, memory and GPUs, and
// this machine's capacity. The bottom of cluster/: it imports nothing of cluster/.
export * from './capacity.js';
export * from './placement.js';
