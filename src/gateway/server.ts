// The gateway's HTTP front (gateway, data plane): the public OIP v2 endpoint, health, /metrics,
// and startGateway(), which tests and the benchmark call in-process and the CLI wraps.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { systemClock, type Clock } from '../common/clock.js';
import { hardenServer } from '../common/http-hardening.js';
import { guardUnreadBody } from '../common/http-slow-clients.js';
import { hardenedServerOptions } from '../common/http-timeouts.js';
import { createLogger, type Logger } from '../common/log.js';
import type { ReplicaEndpoint } from '../common/wire.js';
import { defaultsOf } from '../common/settings.js';
import { gatewaySettingsTable, type GatewaySettings } from '../common/settings-table-gateway.js';
import { UserError } from '../common/errors.js';
import { ResponseCache } from './cache/response-cache.js';
import type { AuthConfig } from '../common/auth.js';
import { AuthGate } from './auth-gate.js';
import { AuthMetrics } from './auth-metrics.js';
import { GatewayCore } from './core.js';
import { GatewayMetrics } from './metrics.js';
import { migrationOf } from './migration.js';
import { GatewayTls } from './tls.js';
import { UpstreamSet } from './upstream-set.js';
import type { UpstreamState } from './upstream.js';

/**
 * Options of startGateway: its settings (common/settings-table-gateway.ts: units, defaults and ranges, the
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
  /** Drains, stops listening and closes every pool. Idempotent. */
  close(): Promise<void>;
  stats(): GatewayStats;
  /** The /metrics text. */
  metrics(): Promise<string>;
}

/** Pending connections the kernel holds for the gateway (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

const defaults = defaultsOf(gatewaySettingsTable) as GatewaySettings;

/** Starts a gateway and resolves once it listens. */
export async function startGateway(opts: GatewayOptions = {}): Promise<GatewayHandle> {
  const o = { ...defaults, ...opts };
  const clock = o.clock ?? systemClock;
  const log = o.logger ?? createLogger({ component: 'gateway' });
  const closing = new Set<Promise<void>>();
  const makePool = (url: string) =>
    new Pool(url, { connections: o.maxInflightPerReplica, pipelining: 1, keepAliveTimeout: 4_000, connect: { timeout: 2_000 } });
  const set = new UpstreamSet(clock, o.maxInflightPerReplica, makePool, o.random);
  let core: GatewayCore;
  const metrics = new GatewayMetrics({ inflight: () => core.inflight, queued: () => core.queued, replicaCounts: () => set.counts() }, o.latencyBucketMs / 1000);
  const cache = o.cacheEnabled ? newCache(o, clock, metrics, log) : undefined;
  if (cache) {
    cache.serving = (version) => set.servesVersion(version);
    cache.weightsOf = (version) => set.weightsOf(version);
  }
  core = new GatewayCore(set, o, clock, metrics, log, cache);
  const migration = migrationOf(o, clock, makePool, metrics.registry, log, o.random);
  core.others = migration.others;
  core.answers.shadow = migration.shadow;
  const gate = new AuthGate(o.auth, new AuthMetrics(metrics.registry));
  if (o.authConfig) gate.configure(o.authConfig);

  const setReplicas = (replicas: readonly ReplicaEndpoint[], abort: readonly string[] = [], weights?: Record<string, number>) => {
    set.weights.set(weights);
    const before = set.list.map((u) => u.url).sort().join(' ');
    if (replicas.map((r) => r.url).sort().join(' ') !== before) cache?.replicaSetChanged();
    for (const u of set.replace(replicas)) {
      // undici's close() waits for the requests already on the pool, so removal fails none of them;
      // destroy() fails them at once (an attempt that fails before its answer is retried elsewhere).
      const lost = abort.includes(u.id);
      if (lost) log.warn('replica lost: its requests are retried elsewhere', { replica: u.id, inflight: u.inflight });
      const p = (lost ? u.pool.destroy(new Error('the replica\'s host was lost')) : u.pool.close()).catch(() => {}).finally(() => closing.delete(p));
      closing.add(p);
    }
    log.info('replica set', { replicas: set.list.map((u) => ({ id: u.id, ready: u.ready, version: u.version })), weights });
    core.pump();
  };
  if (o.replicas) setReplicas(o.replicas);

  const tlsFiles = o.tlsCert !== undefined && o.tlsKey !== undefined ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse) => route(core, metrics, gate, req, res, clock.nowMs());
  const tls = tlsFiles ? new GatewayTls(tlsFiles, log, (notAfterMs) => metrics.setTlsCertExpiry(notAfterMs / 1000)) : undefined;
  const server = tls ? https.createServer({ ...hardenedServerOptions(), ...tls.load() }, handler) : http.createServer(hardenedServerOptions(), handler);
  hardenServer(server as http.Server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept backlog: thousands of clients connecting at once must queue, not be dropped.
    server.listen({ port: o.port, host: o.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tlsFiles ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  let closed: Promise<void> | undefined;

  const drain = () => {
    if (!core.draining) log.info('draining', { active: core.active });
    core.draining = true;
    // A paused connection's next request is answered now (503 draining), not after its pause.
    core.readPause.resumeAll();
    return core.whenIdle();
  };
  return {
    url, host: o.host, port, setReplicas, drain,
    setAuth: (config) => {
      gate.configure(config);
      log.info('tokens set', { tokens: config.tokens.map((t) => t.name), openHealth: config.openHealth, openMetrics: config.openMetrics });
    },
    reloadTls: async () => {
      if (!tls) throw new Error('this gateway does not serve HTTPS (no --tls-cert/--tls-key)');
      tls.reload(server as https.Server);
    },
    close: () => (closed ??= (async () => {
      await drain();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Drained: only shadow copies can be left at the other servers, and they are dropped.
      const pools = [...set.list.map((u) => u.pool.close()), ...migration.pools.map((p) => p.destroy())];
      await Promise.all([...pools.map((p) => p.catch(() => {})), ...closing, cache?.close()]);
    })()),
    stats: () => stats(core, set, clock),
    metrics: () => metrics.text(),
  };
}

/** The response cache of `o`; a bad Redis URL is a UserError that does not repeat the URL (it may hold a password). */
function newCache(o: GatewaySettings, clock: Clock, metrics: GatewayMetrics, log: Logger): ResponseCache {
  try {
    return new ResponseCache(o, clock, metrics.registry, log);
  } catch (err) {
    throw err instanceof RangeError ? new UserError(err.message) : err;
  }
}

function route(core: GatewayCore, metrics: GatewayMetrics, gate: AuthGate, req: IncomingMessage, res: ServerResponse, startMs: number): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const method = req.method;
  // Before anything else: a stranger learns nothing, and an over-quota client costs one small answer.
  const refusal = gate.judge(path, req.headers.authorization, startMs);
  if (refusal !== undefined) {
    for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
    return core.answers.rejectNow(req, res, startMs, refusal.status, refusal.message);
  }
  const health = path === '/v2/health/live' || path === '/v2/health/ready';
  if (path.startsWith('/v2') && !health) {
    if (method === 'GET' || method === 'HEAD' || (method === 'POST' && (path.endsWith('/infer') || path === '/v2/repository/index'))) {
      return core.accept(req, res, startMs, method === 'POST' && path.endsWith('/infer'));
    }
  }
  // Answered here without reading a body: whatever body comes must still arrive, or it is cut.
  guardUnreadBody(req, res);
  if (path.startsWith('/v2')) {
    if (health && method !== 'GET' && method !== 'HEAD') {
      return json(res, 405, JSON.stringify({ error: `${method} ${path} is not supported: use GET` }));
    }
    if (path === '/v2/health/live') return json(res, 200, '{"live":true}');
    if (path === '/v2/health/ready') {
      const ready = !core.draining && (core.set.hasAvailable() || core.others?.canServe() === true);
      return json(res, ready ? 200 : 503, ready ? '{"ready":true}' : '{"ready":false}');
    }
    return json(res, 405, JSON.stringify({ error: `${method} ${path} is not supported: use GET for metadata and POST .../infer` }));
  }
  if (path === '/metrics' && method === 'GET') {
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
      () => json(res, 500, '{"error":"metrics could not be collected"}'),
    );
    return;
  }
  json(res, 404, JSON.stringify({ error: `no route for ${method} ${path}: the gateway serves /v2/... (Open Inference Protocol v2) and /metrics` }));
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function stats(core: GatewayCore, set: UpstreamSet, clock: Clock): GatewayStats {
  const nowMs = clock.nowMs();
  return {
    draining: core.draining, active: core.active, inflight: core.inflight, queued: core.queued,
    ...core.counters,
    replicas: set.list.map((u) => ({
      id: u.id, url: u.url, state: u.state(nowMs), inflight: u.inflight,
      consecutiveFailures: u.consecutiveFailures, ejections: u.ejections,
    })),
  };
}
