// A replica in one call (data plane): resolves the model, listens at once (live, not ready), loads
// and warms the session, then turns ready. `startReplica` is what the CLI, tests and benches use.
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { hardenServer } from '../common/http-hardening.js';
import { guardUnreadBody } from '../common/http-slow-clients.js';
import { hardenedServerOptions } from '../common/http-timeouts.js';
import { createLogger, type Logger } from '../common/log.js';
import { resolveModel, type ResolvedModel } from '../model/registry.js';
import type { ReplicaContext } from './context.js';
import { FrameServer } from './frame-server.js';
import { HttpError } from './http-error.js';
import { ReplicaMetrics } from './metrics.js';
import { createRequestHandler } from './routes.js';
import { ClusterTokenCheck } from './cluster-token.js';
import { compileModel, type ServedModel } from './served-model.js';
import { loadModel, type ReadyInfo } from './model-load.js';
import type { ModelSession } from './session.js';
import { defaultsOf } from '../common/settings/settings.js';
import type { ProcessEvent } from '../common/wire.js';
import { handleReplicaControl } from './reconfigure.js';
import { replicaSettingsTable, type ReplicaSettings } from '../common/settings/table.js';

/**
 * How to run a replica: its settings (common/settings/table.ts: units, defaults and ranges, the same
 * as `serve replica`'s flags), every one but `model` optional, plus what only code can pass.
 */
export type ReplicaOptions = Partial<ReplicaSettings> & {
  model: string;
  /** Sent as x-serve-replica and in logs. */
  replicaId?: string;
  /** Also serve infer requests framed on this unix socket (`--frame-socket`: frame-server.ts). */
  frameSocket?: string;
  /** Also serve them framed on this TCP port of `host` (0: a free one), for a gateway on another host (`--frame-port`). */
  framePort?: number;
  /** Maximum JSON nesting. Default 32. */
  maxJsonDepth?: number;
  logger?: Logger;
  clock?: Clock;
};

const defaults = defaultsOf(replicaSettingsTable) as Omit<ReplicaSettings, 'model'>;

export type { ReadyInfo };

/** A running replica. */
export interface ReplicaHandle {
  url: string;
  host: string;
  port: number;
  /** The frame socket it serves on, when started with one. */
  frameSocket?: string;
  /** The TCP address ("host:port") it serves frames on, when started with a frame port. */
  frameAddress?: string;
  model: { name: string; version: number };
  /** Resolves once the model is loaded and warm; rejects if loading fails. */
  ready: Promise<ReadyInfo>;
  /** Stops accepting inference (ready → 503), finishes queued and in-flight work, closes. */
  drain(): Promise<void>;
  /** Closes now: queued requests get 503, connections are dropped. */
  close(): Promise<void>;
  /** A control line from the controller (a live batching change, see reconfigure.ts); `emit` acknowledges it. */
  control(message: unknown, emit: (e: ProcessEvent) => void): void;
}

/** Starts a replica. Rejects (UserError) when the model cannot be resolved or the port bound. */
export async function startReplica(options: ReplicaOptions): Promise<ReplicaHandle> {
  const opts = { ...defaults, ...options };
  const resolved = await resolveModel(opts.registry, opts.model);
  const ctx = newContext(resolved, opts);
  const { model, log } = ctx;
  const handle = createRequestHandler(ctx);
  const server = http.createServer(hardenedServerOptions(), (req, res) => {
    // A request answered before its body was read (404, 405, 415, 503...) must still get its body or be cut.
    guardUnreadBody(req, res);
    handle(req, res);
  });
  hardenServer(server);
  const host = opts.host;
  await listen(server, host, opts.port);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let frames: FrameServer | undefined;
  if (opts.frameSocket !== undefined || opts.framePort !== undefined) {
    try {
      frames = await FrameServer.listen(ctx, {
        ...(opts.frameSocket === undefined ? {} : { socketPath: path.resolve(opts.frameSocket) }),
        ...(opts.framePort === undefined ? {} : { tcp: { host, port: opts.framePort } }),
      });
    } catch (err) {
      await closeServer(server, false);
      throw err;
    }
  }
  const frameSocket = frames?.path;
  const frameAddress = frames?.address;
  log.info('listening', {
    url,
    ...(frameSocket === undefined ? {} : { frameSocket }),
    ...(frameAddress === undefined ? {} : { frameAddress }),
  });

  let session: ModelSession | undefined;
  const ready = loadModel(ctx, resolved, opts, (opened) => (session = opened));
  ready.catch((err) => {
    if (ctx.state === 'loading') ctx.state = 'failed';
    if (ctx.state === 'failed') log.error('model load failed', { error: errorMessage(err) });
    else log.info('model load abandoned: the replica is stopping');
  });

  let closing: Promise<void> | undefined;
  const shutdown = async (graceful: boolean): Promise<void> => {
    ctx.metrics.ready.set(0);
    if (graceful) {
      if (ctx.state === 'ready' || ctx.state === 'loading') ctx.state = 'draining';
      log.info('draining', { queued: ctx.batcher?.queued ?? 0, inFlight: ctx.inFlight });
      ctx.batcher?.flushNow();
      await ready.catch(() => undefined);
      await waitForIdle(ctx);
    } else ctx.batcher?.failAll(new HttpError(503, 'replica is shutting down', 1));
    ctx.state = 'closed';
    await Promise.all([closeServer(server, graceful), frames?.close(graceful)]);
    await ready.catch(() => undefined);
    await session?.release().catch(() => undefined);
    log.info('closed');
  };
  return {
    url,
    host,
    port,
    ...(frameSocket === undefined ? {} : { frameSocket }),
    ...(frameAddress === undefined ? {} : { frameAddress }),
    model: { name: model.name, version: model.version },
    ready,
    drain: () => (closing ??= shutdown(true)),
    close: () => (closing ??= shutdown(false)),
    control: (message, emit) => handleReplicaControl(ctx, ready, message, emit),
  };
}

/** The shared state of a new replica (loading); throws a UserError for a bad model.yaml or replica id. */
function newContext(resolved: ResolvedModel, opts: Omit<ReplicaSettings, 'model'> & ReplicaOptions): ReplicaContext {
  let model: ServedModel;
  try {
    model = compileModel(resolved.spec);
  } catch (err) {
    throw new UserError(`${resolved.yamlPath}: ${errorMessage(err)}`);
  }
  if (opts.replicaId !== undefined && !/^[\w.:-]{1,64}$/.test(opts.replicaId)) {
    // It goes into a response header on every answer: anything else would break writeHead.
    throw new UserError(
      `--replica-id "${opts.replicaId.slice(0, 64)}" may only use letters, digits, ` +
        `".", "_", ":" and "-" (at most 64)`,
    );
  }
  const log = (opts.logger ?? createLogger({ component: 'replica' })).child({
    model: `${model.name}@${model.version}`,
    ...(opts.replicaId ? { replica: opts.replicaId } : {}),
  });
  return {
    model,
    batcher: undefined,
    state: 'loading',
    maxBodyBytes: opts.maxBodyBytes,
    limits: {
      maxRowsPerRequest: opts.maxBatchSize,
      allowNonFinite: opts.allowNonFinite,
      maxJsonDepth: opts.maxJsonDepth ?? 32,
    },
    replicaId: opts.replicaId,
    ...(opts.authToken ? { tokenCheck: new ClusterTokenCheck(opts.authToken) } : {}),
    metrics: new ReplicaMetrics({ model: model.name, version: String(model.version) }),
    clock: opts.clock ?? systemClock,
    log,
    inFlight: 0,
    idleWaiters: [],
  };
}

/** Resolves once every infer request received has been answered (queued and running ones included). */
function waitForIdle(ctx: ReplicaContext): Promise<void> {
  if (ctx.inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => ctx.idleWaiters.push(resolve));
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(
              `port ${port} on ${host} is already in use: pick another --port, or --port 0 ` + `for a free one`,
            )
          : new UserError(
              `cannot listen on ${host}:${port} (${err.code ?? err.message}): check --host ` + `and --port`,
            ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

function closeServer(server: http.Server, graceful: boolean): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if (graceful) {
      server.closeIdleConnections();
      // Everything is answered; a client holding a connection open must not hold up the exit.
      setTimeout(() => server.closeAllConnections(), 500).unref();
    } else server.closeAllConnections();
  });
}
