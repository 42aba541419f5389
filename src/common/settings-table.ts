// The data-plane settings table (common, every plane): every setting of a replica and of the
// gateway with its unit, default, range, profile path and help. The profile schema's leaves, the
// `serve replica`/`serve gateway` flags, what a controller sends its children and the process
// defaults are all derived from it, so a default is written once.
import type { SettingSpec } from './settings.js';
import { gatewayCacheSettings } from './settings-table-cache.js';
import { gatewayMigrationSettings } from './settings-table-migration.js';

/** Where inference runs: `auto` uses CUDA where its provider loads, else the CPU (one log line). */
export type DeviceRequest = 'auto' | 'cpu' | 'cuda';

/** How a replica forms batches (see replica/adaptive-batching.ts). */
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

/** Settings of the gateway process, units in the names. */
export interface GatewaySettings {
  host: string;
  port: number;
  maxQueuedRequests: number;
  maxInflightPerReplica: number;
  requestTimeoutMs: number;
  ejectAfterFailures: number;
  ejectForMs: number;
  forwardMarginMs: number;
  drainTimeoutMs: number;
  cacheEnabled: boolean;
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  cacheTtlMs: number;
  /** redis:// or rediss:// URL of the shared second level; absent: memory only. May hold a password: never logged or put in argv. */
  cacheRedisUrl?: string;
  cacheRedisPrefix: string;
  cacheRedisTimeoutMs: number;
  /** The cluster's token, sent to replicas with every forwarded request. */
  replicaToken?: string;
  /** An extra boundary of the request-duration histogram (ops: the p99 alert counts at it). */
  latencyBucketMs: number;
  /** Require bearer tokens; their digests arrive as an `auth` control line (common/auth.ts). */
  auth: boolean;
  /** HTTPS: certificate chain and private key files (PEM); both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  /** Other OIP v2 servers and their percent of infer traffic, "URL=PERCENT,..." (gateway/external.ts parses it). */
  externalServers?: string;
  /** Base URL of the server that answers when no replica can. */
  fallbackUrl?: string;
  /** Base URL of the shadow server, and the share (0 to 1) of infer requests copied to it. */
  shadowUrl?: string;
  shadowShare: number;
}

const drainTimeoutMs: SettingSpec = {
  kind: 'durationMs', default: 10_000, max: 3_600_000, profilePath: 'drain_timeout',
  help: 'Grace period to finish accepted requests after SIGTERM (scale-down, `serve down`) before the process is killed.',
};

export const replicaSettingsTable: Readonly<Record<keyof ReplicaSettings, SettingSpec>> = {
  model: { kind: 'text', required: true, help: 'Model to serve: NAME, NAME@VERSION or NAME@latest.' },
  registry: { kind: 'text', default: './models', help: 'Model registry folder (<registry>/<name>/<version>/model.onnx).' },
  host: { kind: 'text', default: '127.0.0.1', help: 'Address the replica listens on.' },
  port: { kind: 'integer', default: 0, min: 0, max: 65535, help: 'Port the replica listens on; 0 picks a free one (printed in the listening event).' },
  maxBatchSize: {
    kind: 'integer', default: 32, min: 1, max: 4096, profilePath: 'batching.max_batch_size', live: true,
    help: 'Most rows run as one batch; also the most rows one request may carry.',
  },
  batchWaitMs: {
    kind: 'durationMs', default: 10, min: 0, max: 10_000, profilePath: 'batching.batch_wait_timeout', live: true,
    help: 'Longest a request waits for a batch to fill (adaptive mode waits only when waiting is expected to pay, never longer).',
  },
  batchingMode: {
    kind: 'choice', default: 'adaptive', choices: ['adaptive', 'fixed'], profilePath: 'batching.mode',
    help: 'adaptive: a batch runs at once when the session is free unless the measured arrival rate and batch-cost curve say waiting pays; fixed: the first request always waits up to batch_wait_timeout (Ray Serve).',
  },
  maxQueuedRequests: {
    kind: 'integer', default: 256, min: 1, max: 1_000_000, profilePath: 'batching.max_queued_requests',
    help: 'Requests queued in a replica beyond which it answers 503 at once.',
  },
  device: {
    kind: 'choice', default: 'auto', choices: ['auto', 'cpu', 'cuda'], profilePath: 'runtime.device',
    help: 'Execution provider: auto uses CUDA where its provider loads (else the CPU, with one log line); cuda fails when it cannot load.',
  },
  threads: { kind: 'integer', default: 1, min: 1, max: 256, profilePath: 'runtime.threads', help: 'ONNX Runtime intra-op threads per replica.' },
  maxBodyBytes: { kind: 'bytes', default: 4 * 1024 * 1024, min: 1, max: 1024 ** 3, help: 'Largest request body in bytes (chunked bodies included).' },
  drainTimeoutMs,
  batching: { kind: 'boolean', default: true, help: 'Batch requests; false runs every request alone at once (a benchmark baseline).' },
  sessionWorker: {
    kind: 'boolean', default: true,
    help: 'Run ONNX Runtime in a worker thread (HTTP and inference overlap); false runs it on the main thread (~10 MB less memory).',
  },
  allowNonFinite: { kind: 'boolean', default: false, help: 'Accept NaN and Infinity in float inputs (refused with 400 otherwise).' },
  authToken: {
    kind: 'text', stdinOnly: true,
    help: 'The cluster token: every request must carry it in the x-serve-cluster-token header, else 401 (stdin only, never a flag).',
  },
  heartbeatTimeoutMs: {
    kind: 'durationMs', default: 0, min: 0, max: 3_600_000,
    help: 'Drain and exit when no line arrives on stdin for this long (replicas on SSH hosts get a heartbeat line every ssh.keepalive); 0 never.',
  },
};

export const gatewaySettingsTable: Readonly<Record<keyof GatewaySettings, SettingSpec>> = {
  host: { kind: 'text', default: '127.0.0.1', profilePath: 'gateway.host', help: 'Address the gateway listens on.' },
  port: { kind: 'integer', default: 8000, min: 0, max: 65535, profilePath: 'gateway.port', help: 'Port the gateway listens on; 0 picks a free one.' },
  maxQueuedRequests: {
    kind: 'integer', default: 1024, min: 0, max: 1_000_000, profilePath: 'gateway.max_queued_requests',
    help: 'Requests waiting for a free replica beyond which the gateway answers 503.',
  },
  maxInflightPerReplica: { kind: 'integer', default: 64, min: 1, max: 100_000, help: 'Requests in flight to one replica at most (also its connection count).' },
  requestTimeoutMs: {
    kind: 'durationMs', default: 1000, positive: true, max: 600_000, profilePath: 'gateway.request_timeout',
    help: 'Budget of a request without an x-serve-timeout-ms header, retries included.',
  },
  ejectAfterFailures: {
    kind: 'integer', default: 5, min: 1, max: 1000, profilePath: 'gateway.eject_after_failures',
    help: 'Consecutive failures of its own after which a replica is taken out of routing.',
  },
  ejectForMs: {
    kind: 'durationMs', default: 10_000, positive: true, max: 3_600_000, profilePath: 'gateway.eject_for',
    help: 'How long an ejected replica stays out of routing.',
  },
  forwardMarginMs: { kind: 'durationMs', default: 2, min: 0, max: 1000, help: 'Taken off the budget passed to a replica, so it answers before the gateway gives up.' },
  drainTimeoutMs,
  ...gatewayCacheSettings,
  replicaToken: {
    kind: 'text', stdinOnly: true,
    help: 'The cluster token, added to every request forwarded to a replica as x-serve-cluster-token (stdin only, never a flag).',
  },
  // Monitoring and security (ops): the alert rules' bucket, bearer tokens, TLS.
  latencyBucketMs: {
    kind: 'durationMs', default: 100, positive: true, max: 600_000,
    help: 'A bucket boundary of serve_gateway_request_duration_seconds besides the fixed ones; `serve up` sets slo.p99, so the p99 alert counts slow requests at the target exactly.',
  },
  auth: {
    kind: 'boolean', default: false,
    help: 'Require a bearer token on every request but the open paths; the token digests arrive on stdin as {"type":"auth",...}, and until then every request is answered 503.',
  },
  tlsCert: { kind: 'text', profilePath: 'gateway.tls.cert', help: 'Certificate chain (PEM file) for HTTPS; read again on SIGHUP.' },
  tlsKey: { kind: 'text', profilePath: 'gateway.tls.key', help: 'Private key (PEM file) of --tls-cert; read again on SIGHUP.' },
  ...gatewayMigrationSettings,
};
