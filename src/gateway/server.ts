// The gateway's HTTP front (gateway, data plane): startGateway(), which tests and the benchmark call
// in-process and the CLI wraps; front-routes.ts routes its requests, handle.ts types what it returns.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { systemClock, type Clock } from '../common/clock.js';
import { hardenServer } from '../common/http-hardening.js';
import { hardenedServerOptions } from '../common/http-timeouts.js';
import { createLogger, type Logger } from '../common/log.js';
import type { ReplicaEndpoint } from '../common/wire.js';
import { defaultsOf } from '../common/settings/settings.js';
import { gatewaySettingsTable, type GatewaySettings } from '../common/settings/table-gateway.js';
import { UserError } from '../common/errors.js';
import { ResponseCache } from './cache/response-cache.js';
import { AuthGate } from './auth/gate.js';
import { AuthMetrics } from './auth/metrics.js';
import { GatewayCore } from './core.js';
import { FramePool } from './frame-pool.js';
import { route } from './front-routes.js';
import { stats, type GatewayHandle, type GatewayOptions } from './handle.js';
import { GatewayMetrics } from './metrics.js';
import { migrationOf } from './migration.js';
import { GatewayTls } from './tls.js';
import { UpstreamSet } from './upstream-set.js';

/** Connections to one replica's frame socket or port (requests are multiplexed over them). */
const FRAME_CONNECTIONS = 2;

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
    new Pool(url, {
      connections: o.maxInflightPerReplica,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      connect: { timeout: 2_000 },
    });
  // A replica's frame socket (or TCP port on an SSH host): a few connections carry every request, multiplexed.
  const makeFrames = (target: string) =>
    new FramePool(target, {
      connections: FRAME_CONNECTIONS,
      log,
      ...(o.replicaToken === undefined ? {} : { token: o.replicaToken }),
    });
  const set = new UpstreamSet(
    clock,
    o.maxInflightPerReplica,
    makePool,
    o.random,
    o.replicaTransport === 'frames' ? makeFrames : undefined,
  );
  let core: GatewayCore;
  const metrics = new GatewayMetrics(
    { inflight: () => core.inflight, queued: () => core.queued, replicaCounts: () => set.counts() },
    o.latencyBucketMs / 1000,
  );
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

  const setReplicas = (
    replicas: readonly ReplicaEndpoint[],
    abort: readonly string[] = [],
    weights?: Record<string, number>,
  ) => {
    set.weights.set(weights);
    const before = set.list
      .map((u) => u.url)
      .sort()
      .join(' ');
    if (
      replicas
        .map((r) => r.url)
        .sort()
        .join(' ') !== before
    )
      cache?.replicaSetChanged();
    for (const u of set.replace(replicas)) {
      // undici's close() waits for the requests already on the pool, so removal fails none of them;
      // destroy() fails them at once (an attempt that fails before its answer is retried elsewhere).
      const lost = abort.includes(u.id);
      if (lost) log.warn('replica lost: its requests are retried elsewhere', { replica: u.id, inflight: u.inflight });
      const gone = lost ? new Error("the replica's host was lost") : undefined;
      const p = Promise.all([
        gone ? u.pool.destroy(gone) : u.pool.close(),
        gone ? u.frames?.destroy(gone) : u.frames?.close(),
      ])
        .then(() => undefined)
        .catch(() => {})
        .finally(() => closing.delete(p));
      closing.add(p);
    }
    log.info('replica set', {
      replicas: set.list.map((u) => ({ id: u.id, ready: u.ready, version: u.version })),
      weights,
    });
    core.pump();
  };
  if (o.replicas) setReplicas(o.replicas);

  const tlsFiles =
    o.tlsCert !== undefined && o.tlsKey !== undefined ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
  // Responses not yet begun when a handover starts; from then on each one closes its connection.
  const open = new Set<ServerResponse>();
  let handingOver = false;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (handingOver) res.setHeader('connection', 'close');
    else {
      open.add(res);
      res.once('close', () => open.delete(res));
    }
    route(core, metrics, gate, req, res, clock.nowMs());
  };
  const tls = tlsFiles
    ? new GatewayTls(tlsFiles, log, (notAfterMs) => metrics.setTlsCertExpiry(notAfterMs / 1000))
    : undefined;
  const server = tls
    ? https.createServer({ ...hardenedServerOptions(), ...tls.load() }, handler)
    : http.createServer(hardenedServerOptions(), handler);
  hardenServer(server as http.Server);
  if (o.lender && !tls) o.lender.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    // A deep accept backlog: thousands of clients connecting at once must queue, not be dropped.
    if (o.listenHandle) server.listen(o.listenHandle, LISTEN_BACKLOG, listening);
    else server.listen({ port: o.port, host: o.host, backlog: LISTEN_BACKLOG }, listening);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tlsFiles ? 'https' : 'http'}://` + `${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  let closed: Promise<void> | undefined;

  const drain = () => {
    if (!core.draining) log.info('draining', { active: core.active });
    core.draining = true;
    // A paused connection's next request is answered now (503 draining), not after its pause.
    core.readPause.resumeAll();
    return core.whenIdle();
  };
  return {
    url,
    host: o.host,
    port,
    setReplicas,
    drain,
    setAuth: (config) => {
      gate.configure(config);
      log.info('tokens set', {
        tokens: config.tokens.map((t) => t.name),
        openHealth: config.openHealth,
        openMetrics: config.openMetrics,
      });
    },
    reloadTls: async () => {
      if (!tls) throw new Error('this gateway does not serve HTTPS (no --tls-cert/--tls-key)');
      tls.reload(server as https.Server);
    },
    close: () =>
      (closed ??= (async () => {
        await drain();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // Drained: only shadow copies can be left at the other servers, and they are dropped.
        const pools = [
          ...set.list.map((u) => u.pool.close()),
          ...set.list.flatMap((u) => (u.frames ? [u.frames.close()] : [])),
          ...migration.pools.map((p) => p.destroy()),
        ];
        await Promise.all([...pools.map((p) => p.catch(() => {})), ...closing, cache?.close()]);
      })()),
    handover: (idleSweepMs) =>
      new Promise<void>((resolve) => {
        if (!handingOver) log.info('handing over to the next gateway process', { active: core.active });
        handingOver = true;
        for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
        open.clear();
        const sweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
        // net's close, not http's: http's also closes idle connections at once, and a client may be
        // sending on one at this very moment. Our copy of the socket closes; the holder's stays.
        net.Server.prototype.close.call(server, () => {
          clearInterval(sweep);
          resolve();
        });
      }),
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
