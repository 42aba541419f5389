// Admin API of a running controller (control plane): HTTP over the unix socket
// <state-dir>/admin.sock (mode 0600). GET /status, POST /scale {replicas, force} or {auto: true},
// POST /reconfigure {maxBatchSize?, batchWaitMs?, threads?}, POST /down, POST /rollout (RolloutRequest),
// GET /rollout, POST /rollout/abort, POST /gateway/restart.
import http from 'node:http';
import { chmodSync } from 'node:fs';
import { UserError, errorMessage } from '../../common/errors.js';
import { removeEntry } from '../../common/no-follow.js';
import type { ClusterStatus, GatewayRestartResult, ScaleResult } from '../../common/cluster-status.js';
import type { ReconfigureResult } from '../../common/settings/live-settings.js';
import type { RolloutRequest, RolloutStatus } from '../../common/rollout.js';

export interface AdminHandlers {
  status(): ClusterStatus;
  /** Throws UserError for a count outside the profile's bounds without `force`. */
  scale(replicas: number, force: boolean): Promise<ScaleResult>;
  /** Unpins the count set by scale: the autoscaler decides again. */
  scaleAuto(): Promise<ScaleResult>;
  /** Starts a drain-and-stop; the answer goes out before the controller exits. */
  down(): void;
  /** Changes batching live and threads by a rolling replacement; throws UserError for a bad change. */
  reconfigure?(settings: unknown): Promise<ReconfigureResult>;
  /** A planned restart of the serving gateway on the same socket; UserError when it cannot. */
  restartGateway?(): Promise<GatewayRestartResult>;
  /** Rollouts: start one (UserError while one runs or for a bad request), its status, abort (rolls back). */
  rollout?: {
    start(req: RolloutRequest): Promise<RolloutStatus>;
    status(): RolloutStatus | undefined;
    abort(why?: string): RolloutStatus;
  };
}

/** Listens on `socketPath` and returns a function that closes the server. */
export async function startAdminServer(socketPath: string, h: AdminHandlers): Promise<() => Promise<void>> {
  // A leftover socket (or a link in its place) is unlinked itself, never what a link points to.
  removeEntry(socketPath);
  const server = http.createServer((req, res) => {
    void handle(req, res, h);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  try {
    // Only the owner may scale or stop the cluster.
    chmodSync(socketPath, 0o600);
  } catch (err) {
    await close();
    throw err;
  }
  return close;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, h: AdminHandlers): Promise<void> {
  try {
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    if (route === 'GET /status') return send(res, 200, h.status());
    if (route === 'POST /scale') {
      const body = (await readJson(req)) as { replicas?: unknown; force?: unknown; auto?: unknown };
      if (body.auto === true) return send(res, 200, await h.scaleAuto());
      if (typeof body.replicas !== 'number' || !Number.isInteger(body.replicas) || body.replicas < 0) {
        return send(res, 400, {
          error: 'body must be {"replicas": <integer >= 0>, "force": <boolean>} or {"auto": true}',
        });
      }
      return send(res, 200, await h.scale(body.replicas, body.force === true));
    }
    if (route === 'POST /reconfigure' && h.reconfigure) return send(res, 200, await h.reconfigure(await readJson(req)));
    if (h.rollout && route === 'POST /rollout')
      return send(res, 202, await h.rollout.start(rolloutRequest(await readJson(req))));
    if (h.rollout && route === 'GET /rollout') return send(res, 200, { rollout: h.rollout.status() ?? null });
    if (h.rollout && route === 'POST /rollout/abort') {
      const body = (await readJson(req)) as { reason?: unknown };
      return send(res, 200, h.rollout.abort(typeof body.reason === 'string' ? body.reason.slice(0, 200) : undefined));
    }
    if (h.restartGateway && route === 'POST /gateway/restart') return send(res, 200, await h.restartGateway());
    if (route === 'POST /down') {
      // Stop only once the answer is out, so the client never sees the socket close first.
      res.once('finish', () => h.down());
      send(res, 202, { stopping: true });
      return;
    }
    send(res, 404, { error: `no such admin endpoint: ${route}` });
  } catch (err) {
    if (err instanceof UserError) send(res, 400, { error: err.message });
    else send(res, 500, { error: `internal error: ${errorMessage(err)}` });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new UserError('body is not valid JSON');
  }
}

/** Checks the body of POST /rollout; throws UserError saying which field is wrong. */
function rolloutRequest(body: unknown): RolloutRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const { model, version, stepsPercent, stepTimeMs, maxRegression, maxStepTimeMs } = b;
  if (typeof model !== 'string' || model === '') throw new UserError('"model" must be the model name');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new UserError('"version" must be a whole number >= 1');
  const steps = Array.isArray(stepsPercent) ? stepsPercent : [];
  if (
    steps.length === 0 ||
    steps.some((p, i) => typeof p !== 'number' || !(p > 0 && p <= 100) || (i > 0 && p <= (steps[i - 1] as number))) ||
    steps[steps.length - 1] !== 100
  ) {
    throw new UserError('"stepsPercent" must be increasing shares in (0, 100] ending at 100');
  }
  if (typeof stepTimeMs !== 'number' || !(stepTimeMs >= 100)) throw new UserError('"stepTimeMs" must be at least 100');
  if (typeof maxRegression !== 'number' || !(maxRegression >= 0))
    throw new UserError('"maxRegression" must be a fraction >= 0');
  if (maxStepTimeMs !== undefined && (typeof maxStepTimeMs !== 'number' || !(maxStepTimeMs >= stepTimeMs)))
    throw new UserError('"maxStepTimeMs" must be at least "stepTimeMs"');
  return {
    model,
    version,
    stepsPercent: steps as number[],
    stepTimeMs,
    maxRegression,
    ...(maxStepTimeMs === undefined ? {} : { maxStepTimeMs }),
  };
}
