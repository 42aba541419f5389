// Launchers (control plane): how a child process is started and stopped, on this machine (execa, its
// own process group) or on an SSH host over that host's connection, and the command line and
// settings each child gets, and the control sockets of local children (which outlive the controller). May import hosts/ (connections) and placement/.
export * from './child-args.js';
export * from './control-socket.js';
export * from './host-launcher.js';
export * from './launcher.js';
export * from './local-launcher.js';
export * from './placed-launch.js';
export { openRemoteControl, type Bridge } from './remote-bridge.js';
export { type AdoptSpec, type ChildDirs } from './socket-launch.js';
