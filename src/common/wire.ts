// Conventions that cross process boundaries (common, every plane): header names, the stdout
// events a data-plane process prints, the control messages the gateway reads on stdin, and the
// state file `serve up` leaves for other commands. Changing any of these is a wire change.
import type { AuthConfig } from './auth.js';

/** Request header: remaining time budget in milliseconds; past it the request is answered 504. */
export const TIMEOUT_HEADER = 'x-serve-timeout-ms';
/** Request header: integer priority 0 (lowest) to 9 (highest); default 0. Higher is batched first, shed last. */
export const PRIORITY_HEADER = 'x-serve-priority';
/** Response header naming the replica that answered (set by the gateway and the replica). */
export const REPLICA_HEADER = 'x-serve-replica';
/** Response header naming the model version of the replica that answered (set by the gateway). */
export const MODEL_VERSION_HEADER = 'x-model-version';
/**
 * Response header on a replica's infer answers: the digest of the model.onnx bytes it loaded
 * (`sha256:` and base64url), so the gateway's response cache never shares an entry between
 * different weights that carry the same name and version.
 */
export const MODEL_DIGEST_HEADER = 'x-serve-model-digest';
/**
 * Request header carrying the cluster's token from the gateway (and the controller's probes) to
 * replicas; a replica started with a token answers 401 to any request without it.
 */
export const CLUSTER_TOKEN_HEADER = 'x-serve-cluster-token';
/**
 * Request header from the gateway to a replica: requests the gateway had in flight to that replica
 * when it sent this one (itself included). Adaptive batching reads demand from it: with a full
 * batch's worth in flight, filling batches pays (common/batching/batch-queue.ts).
 */
export const GATEWAY_INFLIGHT_HEADER = 'x-serve-inflight';
/** Triton's binary tensor extension: length of the JSON header that precedes the binary tensors. */
export const BINARY_HEADER_LENGTH = 'inference-header-content-length';

/** RFC 9211 Cache-Status values the gateway writes (wire-headers.ts says what each means). */
export const CACHE_STATUS = {
  hit: 'serve; hit',
  redisHit: 'serve; hit; detail=redis',
  miss: 'serve; fwd=miss',
  bypass: 'serve; fwd=bypass',
} as const;

/** Where a data-plane process listens: its `listening` event, less the name. */
export interface ListenAddress {
  host: string;
  port: number;
  url: string;
}

/** What a `ready` event says besides its name (a replica's model load and frame endpoints; a gateway says none). */
export interface ReadyFields {
  loadMs?: number;
  device?: string;
  fallbackReason?: string;
  modelDigest?: string;
  frameSocket?: string;
  frameAddress?: string;
}

/**
 * One JSON line a data-plane process (replica, gateway) prints on stdout when its state changes.
 * The first is always `listening`; a replica prints `ready` once warm; the gateway prints `applied`
 * once it routes by the replica set numbered `seq`; a replica prints `reconfigured` once the batching
 * change numbered `seq` is in force (or `error` says why it was refused). `fatal` is the last word of
 * a start that failed. The gateway's socket holder (gateway/holder/) prints `serving` each time a
 * serving gateway process of its own starts to accept on its socket: `pid` is that process, `cause`
 * why it replaced the one before (absent for the first), `reason` how the one before ended. `hello`
 * is written only on a control socket, never on stdout.
 */
export type ProcessEvent =
  | ({ event: 'listening' } & ListenAddress)
  | ({ event: 'ready' } & ReadyFields)
  | { event: 'applied'; seq: number }
  | { event: 'reconfigured'; seq: number; settings?: Record<string, unknown>; error?: string }
  | { event: 'draining' }
  | { event: 'serving'; pid: number; cause?: 'planned' | 'crashed'; reason?: string }
  | { event: 'fatal'; error: string }
  | HelloEvent;

/**
 * The first line on each connection to a data-plane process's control socket (common/data-plane/control-socket.ts):
 * what it is now (nothing already emitted is replayed). `ready` is null until it serves (a gateway: {}
 * once listening); `servingPid` is the gateway socket holder's serving process.
 */
export interface HelloEvent {
  event: 'hello';
  role: 'replica' | 'gateway';
  pid: number;
  listening: ListenAddress | null;
  ready: ReadyFields | null;
  draining: boolean;
  servingPid?: number;
}

/** The event names a controller recognizes on a child's stdout. */
export const PROCESS_EVENTS: ReadonlySet<string> = new Set([
  'listening',
  'ready',
  'applied',
  'reconfigured',
  'draining',
  'serving',
  'fatal',
  'hello',
]);

/** Parses one stdout line of a child as a ProcessEvent, or undefined if it is not one. */
export function parseProcessEvent(line: string): ProcessEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as { event?: unknown };
    return typeof v.event === 'string' && PROCESS_EVENTS.has(v.event) ? (v as ProcessEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** An upstream replica as the gateway sees it. */
export interface ReplicaEndpoint {
  id: string;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The controller's view: false while starting, draining or failing probes. */
  ready: boolean;
  /** The model version it serves, when the controller says (a rollout routes by version weights). */
  version?: string;
  /** The digest of its model.onnx bytes (its `ready` event), once known: the response cache keys by it. */
  modelDigest?: string;
  /**
   * Its frame socket (a local replica's `--frame-socket`, said in its `ready` event): the gateway sends
   * it infer requests framed there instead of over HTTP (gateway/frame-pool.ts).
   */
  frameSocket?: string;
  /**
   * Its TCP frame address, "host:port" (a replica on an SSH host, `--frame-port`): the same frames over
   * TCP, each connection opened with a hello frame carrying the cluster token.
   */
  frameAddress?: string;
}

/**
 * What a controller writes to a data-plane child's stdin, one JSON object a line. A child started
 * with `--settings-stdin` reads its settings (the settings table's names, units in the names) as the
 * first line, so nothing that may be secret appears in its command line. The gateway then reads
 * whole replica sets (not diffs: a lost or repeated message cannot leave it wrong), each numbered so
 * the controller knows when it is routed by. A replica reads `reconfigure`: new values of the settings
 * the table marks live (batching), applied between batches. Stdin EOF means the controller is gone:
 * the child drains and exits.
 */
export type ControlMessage =
  | { type: 'settings'; settings: Record<string, unknown> }
  // `abort`: replicas left out of the set whose host was lost; requests still at them are failed
  // now (and retried on another replica) instead of waiting for an answer that cannot come.
  // `weights`: traffic share of each model version (a rollout); absent, every replica is routed to.
  | { type: 'replicas'; replicas: ReplicaEndpoint[]; seq?: number; abort?: string[]; weights?: Record<string, number> }
  | { type: 'drain' }
  // A replica on an SSH host gets one every ssh.keepalive; without them it drains and exits.
  | { type: 'heartbeat' }
  // A live batching change of a replica (only the settings marked live), acknowledged by `reconfigured`.
  | { type: 'reconfigure'; seq: number; settings: Record<string, unknown> }
  /** The gateway's accepted tokens (digests only) and open paths; it follows the settings line when `auth` is on. */
  | { type: 'auth'; auth: AuthConfig }
  // To the gateway's socket holder only: start a new serving gateway on the same socket (with these
  // settings, host and port aside, when given), then hand over from the old one.
  | { type: 'restart'; settings?: Record<string, unknown> };

/** The heartbeat control line, as written to a replica on an SSH host (stdin, or its control socket once adopted). */
export const HEARTBEAT_LINE = JSON.stringify({ type: 'heartbeat' } satisfies ControlMessage);

/** The gateway's control messages (settings, heartbeats, a replica's reconfigure and the holder's restart aside). */
export type GatewayControl = Exclude<
  ControlMessage,
  { type: 'settings' } | { type: 'heartbeat' } | { type: 'reconfigure' } | { type: 'restart' }
>;

/** Upper bound on a request budget a client may ask for (10 minutes), so a typo cannot pin a slot forever. */
export const MAX_BUDGET_MS = 600_000;

/**
 * The one rule for TIMEOUT_HEADER, on the gateway and on replicas: plain decimal milliseconds above
 * 0 (at most 6 decimals), capped at MAX_BUDGET_MS. Returns `defaultMs` when the header is absent
 * and NaN when it is present but not such a number (the request is answered 400).
 */
export function parseTimeoutHeader(header: string | string[] | undefined, defaultMs: number): number {
  if (header === undefined) return defaultMs;
  const text = Array.isArray(header) ? header[0] : header;
  // Number() would also take "0x20", "1e3" or "1e-300".
  if (text === undefined || !/^\s*\d{1,9}(\.\d{1,6})?\s*$/.test(text)) return NaN;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) return NaN;
  return Math.min(ms, MAX_BUDGET_MS);
}

/** What `serve up` writes to `<state-dir>/state.json` for status, bench, scale and down. */
export interface ClusterStateFile {
  version: 1;
  pid: number;
  startedAt: string;
  /** The profile in force (with a schedule, the one active now; it changes at each switch). */
  profileName: string;
  profilePath: string;
  /** The schedule profile `serve up` was given, if any. */
  schedule?: string;
  gatewayUrl: string;
  /** Path of the admin unix socket (mode 0600). */
  adminSocket: string;
  /** The controller's own Prometheus metrics, on loopback (absent from older controllers). */
  controllerMetricsUrl?: string;
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
