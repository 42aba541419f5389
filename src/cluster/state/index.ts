// The state directory (control plane): claiming it, the controller's files, its journal, log files
// with rotation and the write retry that keeps a full disk from crashing the controller. Imports
// nothing of cluster/ but events.ts.
export * from './controller-files.js';
export * from './journal-writer.js';
export * from './state-dir.js';
export * from './up-log.js';
