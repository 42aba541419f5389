// What startGateway takes and gives back (gateway, data plane): its options, the handle of a running
// gateway, and the stats snapshot that handle reports.
import type { Server } from 'node:net';
import type { AuthConfig } from '../common/auth.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { GatewaySettings } from '../common/settings/table-gateway.js';
import type { ReplicaEndpoint } from '../common/wire.js';
import type { GatewayCore } from './core.js';
import type { UpstreamState } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';

/**
 * Options of startGateway: its settings (common/settings/table-gateway.ts: units, defaults and ranges, the
 * same as `serve gateway`'s flags), every one optional, plus what only code can pass.
 */
export type GatewayOptions = Partial<GatewaySettings> & {
  /** Initial replica set; default empty. */
  replicas?: readonly ReplicaEndpoint[];
  /** Accepted tokens from the start (code and tests); `serve gateway` gets them as a control line. */
  authConfig?: AuthConfig;
  clock?: Clock;
  /** Random source of the P2C pick, in [0, 1); default Math.random. */
  random?: () => number;
  logger?: Logger;
  /**
   * A bound socket handle to listen on instead of binding host:port (the socket holder's, received
   * over IPC: gateway/holder/); `host` then only names it in the URL.
   */
  listenHandle?: object;
  /** Lends each accepted connection to the socket holder (holder/lend.ts); plain HTTP only, TLS ignores it. */
  lender?: { attach(server: Server): void };
};

/** One replica in stats(). */
export interface ReplicaStats {
  id: string;
  url: string;
  state: UpstreamState;
  inflight: number;
  consecutiveFailures: number;
  ejections: number;
}

/** A snapshot of the gateway for tests, the benchmark and the controller's status. */
export interface GatewayStats {
  draining: boolean;
  /** Requests accepted and not yet answered. */
  active: number;
  inflight: number;
  queued: number;
  requests: number;
  retries: number;
  ejections: number;
  replicas: ReplicaStats[];
}

/** A running gateway. */
export interface GatewayHandle {
  url: string;
  host: string;
  port: number;
  /**
   * Replaces the whole replica set (see GatewayControl in common/wire.ts). Requests still at a
   * removed replica named in `abort` (its host was lost) fail now and are retried elsewhere.
   */
  setReplicas(replicas: readonly ReplicaEndpoint[], abort?: readonly string[], weights?: Record<string, number>): void;
  /** Replaces the accepted tokens (from then on every request but the open paths needs one). */
  setAuth(config: AuthConfig): void;
  /** HTTPS: reads the certificate and key files again for new connections; rejects (keeping the old ones) if they cannot be used. */
  reloadTls(): Promise<void>;
  /** Stops accepting requests (503) and resolves once every accepted one is answered. */
  drain(): Promise<void>;
  /**
   * Hands over to another process on the same socket: stops accepting, answers every request on an
   * open connection (with `Connection: close`, so the client's next one opens a connection that the
   * other process accepts), closes connections left idle every `idleSweepMs`, and resolves once none
   * is open. Nothing is refused: a request that arrives is served here.
   */
  handover(idleSweepMs: number): Promise<void>;
  /** Drains, stops listening and closes every pool. Idempotent. */
  close(): Promise<void>;
  stats(): GatewayStats;
  /** The /metrics text. */
  metrics(): Promise<string>;
}

/** The stats() of a running gateway. */
export function stats(core: GatewayCore, set: UpstreamSet, clock: Clock): GatewayStats {
  const nowMs = clock.nowMs();
  return {
    draining: core.draining,
    active: core.active,
    inflight: core.inflight,
    queued: core.queued,
    ...core.counters,
    replicas: set.list.map((u) => ({
      id: u.id,
      url: u.url,
      state: u.state(nowMs),
      inflight: u.inflight,
      consecutiveFailures: u.consecutiveFailures,
      ejections: u.ejections,
    })),
  };
}
