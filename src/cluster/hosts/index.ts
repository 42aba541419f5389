// Hosts (control plane): SSH hosts and this machine as the cluster sees them: OpenSSH connections,
// host keys, facts and GPUs, model copies, `serve hosts check`. Owns everything that runs the system
// ssh, so no arrow runs back up to launchers/. May import placement/ and cluster/events.ts.
export * from './host-check.js';
export * from './host-entry.js';
export * from './host-set.js';
export * from './orphan-ssh.js';
export * from './run-process.js';
export * from './shell-quote.js';
export * from './ssh-connection.js';
export * from './ssh-target.js';
export * from './trust.js';
export * from './ssh-forward.js';
