// Conventions that cross process boundaries (common, every plane): header names, the stdout
// events a data-plane process prints, the control messages the gateway reads on stdin, and the
// state file `serve up` leaves for other commands. Changing any of these is a wire change.

/** Request header: remaining time budget in milliseconds; past it the request is answered 504. */
export const TIMEOUT_HEADER = 'x-serve-timeout-ms';
/** Request header: integer priority 0 (lowest) to 9 (highest); default 0. Higher is batched first, shed last. */
export const PRIORITY_HEADER = 'x-serve-priority';
/** Response header naming the replica that answered (set by the gateway and the replica). */
export const REPLICA_HEADER = 'x-serve-replica';
/** Triton's binary tensor extension: length of the JSON header that precedes the binary tensors. */
export const BINARY_HEADER_LENGTH = 'inference-header-content-length';

/**
 * One JSON line a data-plane process (replica, gateway) prints on stdout when its state changes.
 * The first is always `listening`; a replica prints `ready` once warm.
 */
export type ProcessEvent =
  | { event: 'listening'; host: string; port: number; url: string }
  | { event: 'ready'; loadMs?: number; device?: string }
  | { event: 'draining' }
  | { event: 'fatal'; error: string };

/** An upstream replica as the gateway sees it. */
export interface ReplicaEndpoint {
  id: string;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The controller's view: false while starting, draining or failing probes. */
  ready: boolean;
}

/**
 * A control message the gateway reads on stdin, one JSON object a line. The whole replica set is
 * sent each time (not a diff), so a lost or repeated message cannot leave the gateway wrong.
 * Stdin EOF means the controller is gone: the gateway exits.
 */
export type GatewayControl = { type: 'replicas'; replicas: ReplicaEndpoint[] } | { type: 'drain' };

/** What `serve up` writes to `<state-dir>/state.json` for status, bench, scale and down. */
export interface ClusterStateFile {
  version: 1;
  pid: number;
  startedAt: string;
  profileName: string;
  profilePath: string;
  gatewayUrl: string;
  /** Path of the admin unix socket (mode 0600). */
  adminSocket: string;
  model: { name: string; version: number };
  /** The profile's targets, copied so `serve bench --profile` works without re-reading the file. */
  slo: SloTargets;
}

/** Latency and throughput targets; every field optional (absent = not gated). */
export interface SloTargets {
  p50Ms?: number;
  p90Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  p999Ms?: number;
  maxMs?: number;
  /** Fraction in [0, 1]: 0.01 is 1%. */
  errorRate?: number;
  /** Requests per second the system is meant to carry. */
  targetRps?: number;
  /** The achieved rate must be at least this. */
  minRps?: number;
}
