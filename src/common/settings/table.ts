// The replica's rows of the data-plane settings table (common, every plane): each setting with its unit,
// default, range, profile path and help; profile leaves, flags and child args derive from the table.
import type { SourcedRows, TableSetting } from './settings.js';

/** Where inference runs: `auto` uses CUDA where its provider loads, else the CPU (one log line). */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda';

/** How a replica forms batches (see common/batching/adaptive-batching.ts). */
export type BatchingMode = 'adaptive' | 'fixed';

/** Settings of one replica process, units in the names. */
export interface ReplicaSettings {
  /** "name", "name@3" or "name@latest". */
  model: string;
  registry: string;
  host: string;
  port: number;
  maxBatchSize: number;
  batchWaitMs: number;
  /** `adaptive`: run at once unless waiting is expected to pay; `fixed`: always wait up to batchWaitMs (Ray Serve). */
  batchingMode: BatchingMode;
  maxQueuedRequests: number;
  device: DeviceRequest;
  threads: number;
  maxBodyBytes: number;
  drainTimeoutMs: number;
  batching: boolean;
  sessionWorker: boolean;
  allowNonFinite: boolean;
  /** The cluster's token: every request must carry it (CLUSTER_TOKEN_HEADER); undefined: none needed. */
  authToken?: string;
  heartbeatTimeoutMs: number;
}

/** The drain grace period, a setting of both the replica and the gateway (table-gateway.ts). */
export const drainTimeoutMs = {
  kind: 'durationMs',
  from: 'drainTimeoutMs',
  default: 10_000,
  max: 3_600_000,
  profilePath: 'drain_timeout',
  help:
    'Grace period to finish accepted requests after SIGTERM (scale-down, `serve ' +
    'down`) before the process is killed.',
} as const satisfies TableSetting;

const replicaRows = {
  model: {
    from: 'run',
    kind: 'text',
    required: true,
    help: 'Model to serve: NAME, NAME@VERSION or NAME@latest.',
  },
  registry: {
    from: 'run',
    kind: 'text',
    default: './models',
    help: 'Model registry folder (<registry>/<name>/<version>/model.onnx).',
  },
  host: {
    from: 'run',
    kind: 'text',
    default: '127.0.0.1',
    help: 'Address the replica listens on.',
  },
  port: {
    from: 'run',
    kind: 'integer',
    default: 0,
    min: 0,
    max: 65535,
    help: 'Port the replica listens on; 0 picks a free one (printed in the listening event).',
  },
  maxBatchSize: {
    from: 'batching.maxBatchSize',
    kind: 'integer',
    default: 32,
    min: 1,
    max: 4096,
    profilePath: 'batching.max_batch_size',
    live: true,
    help: 'Most rows run as one batch; also the most rows one request may carry.',
  },
  batchWaitMs: {
    from: 'batching.batchWaitMs',
    kind: 'durationMs',
    default: 10,
    min: 0,
    max: 10_000,
    profilePath: 'batching.batch_wait_timeout',
    live: true,
    help:
      'Longest a request waits for a batch to fill (adaptive mode waits only when ' +
      'waiting is expected to pay, never longer).',
  },
  batchingMode: {
    from: 'batching.mode',
    kind: 'choice',
    default: 'adaptive',
    choices: ['adaptive', 'fixed'],
    profilePath: 'batching.mode',
    help:
      'adaptive: a batch runs at once when the session is free unless the measured ' +
      'arrival rate and batch-cost curve say waiting pays; fixed: the first request ' +
      'always waits up to batch_wait_timeout (Ray Serve).',
  },
  maxQueuedRequests: {
    from: 'batching.maxQueuedRequests',
    kind: 'integer',
    default: 256,
    min: 1,
    max: 1_000_000,
    profilePath: 'batching.max_queued_requests',
    help: 'Requests queued in a replica beyond which it answers 503 at once.',
  },
  device: {
    from: 'runtime.device',
    kind: 'choice',
    default: 'auto',
    choices: ['auto', 'cpu', 'cuda'],
    profilePath: 'runtime.device',
    help:
      'Execution provider: auto uses CUDA where its provider loads (else the CPU, with ' +
      'one log line); cuda fails when it cannot load.',
  },
  threads: {
    from: 'runtime.threads',
    kind: 'integer',
    default: 1,
    min: 1,
    max: 256,
    profilePath: 'runtime.threads',
    help: 'ONNX Runtime intra-op threads per replica.',
  },
  maxBodyBytes: {
    from: 'default',
    kind: 'bytes',
    default: 4 * 1024 * 1024,
    min: 1,
    max: 1024 ** 3,
    help: 'Largest request body in bytes (chunked bodies included).',
  },
  drainTimeoutMs,
  batching: {
    from: 'default',
    kind: 'boolean',
    default: true,
    help: 'Batch requests; false runs every request alone at once (a benchmark baseline).',
  },
  sessionWorker: {
    from: 'default',
    kind: 'boolean',
    default: true,
    help:
      'Run ONNX Runtime in a worker thread (HTTP and inference overlap); false runs it ' +
      'on the main thread (~10 MB less memory).',
  },
  allowNonFinite: {
    from: 'default',
    kind: 'boolean',
    default: false,
    help: 'Accept NaN and Infinity in float inputs (refused with 400 otherwise).',
  },
  authToken: {
    from: 'run',
    kind: 'text',
    stdinOnly: true,
    help:
      'The cluster token: every request must carry it in the x-serve-cluster-token ' +
      'header, else 401 (stdin only, never a flag).',
  },
  heartbeatTimeoutMs: {
    from: 'run',
    kind: 'durationMs',
    default: 0,
    min: 0,
    max: 3_600_000,
    help:
      'Drain and exit when no line arrives on stdin (or the control socket) for this long ' +
      'while a controller is connected (replicas on SSH hosts get a heartbeat line every ' +
      'ssh.keepalive); with a control socket and no controller, the orphan timeout rules ' +
      'instead; 0 never.',
  },
} as const satisfies Record<keyof ReplicaSettings, TableSetting>;

/** Every row keeps its literal `from`: profile/child-settings.ts checks each against Profile. */
export const replicaSettingsTable: SourcedRows<typeof replicaRows> = replicaRows;
