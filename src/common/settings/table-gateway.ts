// The gateway's rows of the data-plane settings table (common, every plane): every setting of the
// gateway process with its unit, default, range, profile path and help (replica rows: table.ts).
import type { SourcedRows, TableSetting } from './settings.js';
import { drainTimeoutMs } from './table.js';
import { gatewayCacheSettings } from './table-cache.js';
import { gatewayMigrationSettings } from './table-migration.js';

/** Settings of the gateway process, units in the names. */
export interface GatewaySettings {
  host: string;
  port: number;
  maxQueuedRequests: number;
  maxInflightPerReplica: number;
  requestTimeoutMs: number;
  ejectAfterFailures: number;
  ejectForMs: number;
  tryTimeoutMinMs: number;
  /** How infer requests reach a local replica with a frame socket: framed over it, or HTTP. */
  replicaTransport: 'frames' | 'http';
  keepConnections: boolean;
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

const gatewayRows = {
  host: {
    from: 'gateway.host',
    kind: 'text',
    default: '127.0.0.1',
    profilePath: 'gateway.host',
    help: 'Address the gateway listens on.',
  },
  port: {
    // The profile's gateway.port, or the port the gateway had before (kept across its restarts).
    from: 'run',
    kind: 'integer',
    default: 8000,
    min: 0,
    max: 65535,
    profilePath: 'gateway.port',
    help: 'Port the gateway listens on; 0 picks a free one.',
  },
  maxQueuedRequests: {
    from: 'gateway.maxQueuedRequests',
    kind: 'integer',
    default: 1024,
    min: 0,
    max: 1_000_000,
    profilePath: 'gateway.max_queued_requests',
    help: 'Requests waiting for a free replica beyond which the gateway answers 503.',
  },
  maxInflightPerReplica: {
    from: 'default',
    kind: 'integer',
    default: 64,
    min: 1,
    max: 100_000,
    help: 'Requests in flight to one replica at most (also its connection count).',
  },
  requestTimeoutMs: {
    from: 'gateway.requestTimeoutMs',
    kind: 'durationMs',
    default: 1000,
    positive: true,
    max: 600_000,
    profilePath: 'gateway.request_timeout',
    help: 'Budget of a request without an x-serve-timeout-ms header, retries included.',
  },
  ejectAfterFailures: {
    from: 'gateway.ejectAfterFailures',
    kind: 'integer',
    default: 5,
    min: 1,
    max: 1000,
    profilePath: 'gateway.eject_after_failures',
    help: 'Consecutive failures of its own after which a replica is taken out of routing.',
  },
  ejectForMs: {
    from: 'gateway.ejectForMs',
    kind: 'durationMs',
    default: 10_000,
    positive: true,
    max: 3_600_000,
    profilePath: 'gateway.eject_for',
    help: 'How long an ejected replica stays out of routing.',
  },
  tryTimeoutMinMs: {
    from: 'gateway.tryTimeoutMinMs',
    kind: 'durationMs',
    default: 100,
    positive: true,
    max: 600_000,
    profilePath: 'gateway.try_timeout_min',
    help:
      'Least time a replica that answers nothing at all keeps a request before it is resent to ' +
      'another (its try timeout: 4 times the slowest of its last 32 answers, at least this; ' +
      'at or above request_timeout it never fires).',
  },
  replicaTransport: {
    from: 'gateway.replicaTransport',
    kind: 'choice',
    default: 'frames',
    choices: ['frames', 'http'],
    profilePath: 'gateway.replica_transport',
    help:
      'frames: infer requests to a replica on this host go over its unix frame socket, one binary ' +
      'frame each way, no HTTP parse (replicas on SSH hosts always get HTTP); http: every request ' +
      'over HTTP.',
  },
  keepConnections: {
    from: 'gateway.keepConnections',
    kind: 'boolean',
    default: true,
    profilePath: 'gateway.keep_connections',
    help:
      'Under a socket holder (serve up), lend the holder a copy of each client connection, so that a ' +
      'killed gateway process loses no connection: the next one adopts them. Costs 0.1-0.2 ms of ' +
      'CPU per new connection (keep-alive clients pay it once); false: connections close with the process.',
  },
  forwardMarginMs: {
    from: 'default',
    kind: 'durationMs',
    default: 2,
    min: 0,
    max: 1000,
    help: 'Taken off the budget passed to a replica, so it answers before the gateway gives up.',
  },
  drainTimeoutMs,
  ...gatewayCacheSettings,
  replicaToken: {
    from: 'run',
    kind: 'text',
    stdinOnly: true,
    help:
      'The cluster token, added to every request forwarded to a replica as ' +
      'x-serve-cluster-token (stdin only, never a flag).',
  },
  // Monitoring and security (ops): the alert rules' bucket, bearer tokens, TLS.
  latencyBucketMs: {
    // The p99 alert (ops/) counts requests slower than the target at this bucket; no target: the default.
    from: 'slo.p99Ms',
    kind: 'durationMs',
    default: 100,
    positive: true,
    max: 600_000,
    help:
      'A bucket boundary of serve_gateway_request_duration_seconds besides the fixed ' +
      'ones; `serve up` sets slo.p99, so the p99 alert counts slow requests at the target exactly.',
  },
  auth: {
    from: 'gateway.auth', // true when the profile has tokens (child-args.ts converts)
    kind: 'boolean',
    default: false,
    help:
      'Require a bearer token on every request but the open paths; the token digests ' +
      'arrive on stdin as {"type":"auth",...}, and until then every request is answered 503.',
  },
  tlsCert: {
    from: 'gateway.tls.certPath',
    kind: 'text',
    profilePath: 'gateway.tls.cert',
    help: 'Certificate chain (PEM file) for HTTPS; read again on SIGHUP.',
  },
  tlsKey: {
    from: 'gateway.tls.keyPath',
    kind: 'text',
    profilePath: 'gateway.tls.key',
    help: 'Private key (PEM file) of --tls-cert; read again on SIGHUP.',
  },
  ...gatewayMigrationSettings,
} as const satisfies Record<keyof GatewaySettings, TableSetting>;

/** Every row keeps its literal `from`: profile/child-settings.ts checks each against Profile. */
export const gatewaySettingsTable: SourcedRows<typeof gatewayRows> = gatewayRows;
