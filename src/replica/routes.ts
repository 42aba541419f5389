// Request routing of a replica (data plane): the OIP v2 health, metadata and infer endpoints plus
// /metrics. Every answer is JSON; unknown paths, models and versions get 404, wrong methods 405.
// The cluster token guards everything but /metrics and the health endpoints, which carry no inputs
// or outputs and must answer Prometheus and load balancers that cannot carry the token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REPLICA_HEADER } from '../common/wire.js';
import type { ReplicaContext } from './context.js';
import { HttpError } from './http-error.js';
import { sendError, sendJson } from './http-io.js';
import { handleInfer } from './infer-handler.js';

/** Paths that answer without the cluster token: no model data in or out. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/metrics', '/v2/health/live', '/v2/health/ready']);

/** A model's paths: name, version, action (ready or infer). */
export const modelPath = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer))?\/?$/;

/** The node:http request listener of a replica. */
export function createRequestHandler(ctx: ReplicaContext) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    try {
      if (!OPEN_PATHS.has(path)) ctx.tokenCheck?.check(req);
      route(ctx, req, res, path);
    } catch (err) {
      if (!(err instanceof HttpError)) ctx.log.error('request failed', { path, error: String(err) });
      sendError(res, err, ctx.replicaId === undefined ? undefined : { [REPLICA_HEADER]: ctx.replicaId });
    }
  };
}

function route(ctx: ReplicaContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  const m = modelPath.exec(path);
  if (m) {
    const action = m[3];
    checkModel(ctx, m[1]!, m[2]);
    if (action === 'infer') {
      if (req.method !== 'POST') throw methodNotAllowed(req, 'POST');
      return handleInfer(ctx, req, res);
    }
    onlyGet(req);
    if (action === 'ready') return sendReady(ctx, res);
    return sendJson(res, 200, modelMetadata(ctx));
  }
  switch (path) {
    case '/v2/health/live':
      onlyGet(req);
      return sendJson(res, ctx.state === 'failed' ? 503 : 200, { live: ctx.state !== 'failed' });
    case '/v2/health/ready':
      onlyGet(req);
      return sendReady(ctx, res);
    case '/v2':
      onlyGet(req);
      return sendJson(res, 200, { name: 'serve-replica', version: '0.1.0', extensions: ['binary_tensor_data'] });
    case '/v2/repository/index':
      // Triton's model repository extension (POST, optional JSON body), so load testers and
      // clients can find the one model served here without being told its name.
      if (req.method !== 'POST') throw methodNotAllowed(req, 'POST');
      req.resume();
      return sendJson(res, 200, [
        {
          name: ctx.model.name,
          version: String(ctx.model.version),
          state: ctx.state === 'ready' ? 'READY' : 'UNAVAILABLE',
        },
      ]);
    case '/metrics':
      onlyGet(req);
      void ctx.metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': ctx.metrics.contentType });
          res.end(text);
        },
        (err) => sendError(res, err),
      );
      return;
    default:
      throw new HttpError(
        404,
        `no such endpoint ${req.method} ${path.slice(0, 100)}: see GET /v2 and ` + `/v2/models/${ctx.model.name}`,
      );
  }
}

/** Throws a 404 HttpError unless the path names this replica's model (and version, when it names one). */
export function checkModel(ctx: ReplicaContext, rawName: string, rawVersion: string | undefined): void {
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    throw new HttpError(400, 'model name in the path is not valid URL encoding');
  }
  if (name !== ctx.model.name) {
    throw new HttpError(
      404,
      `model "${name.slice(0, 64)}" is not served here; this replica serves ` +
        `${ctx.model.name} version ${ctx.model.version}`,
    );
  }
  if (rawVersion !== undefined && rawVersion !== String(ctx.model.version)) {
    throw new HttpError(
      404,
      `model ${ctx.model.name} version "${rawVersion.slice(0, 16)}" is not served ` +
        `here; this replica serves version ${ctx.model.version}`,
    );
  }
}

function sendReady(ctx: ReplicaContext, res: ServerResponse): void {
  if (ctx.state === 'ready') return sendJson(res, 200, { ready: true });
  const why = ctx.state === 'loading' ? 'replica is still loading the model' : `replica is ${ctx.state}`;
  sendJson(res, 503, { ready: false, error: why }, { 'retry-after': '1' });
}

function modelMetadata(ctx: ReplicaContext) {
  const m = ctx.model;
  const tensor = (t: { name: string; dt: { name: string }; shape: readonly number[] }) => ({
    name: t.name,
    datatype: t.dt.name,
    shape: t.shape,
  });
  return {
    name: m.name,
    versions: [String(m.version)],
    platform: 'onnxruntime_onnx',
    description: m.description,
    inputs: m.inputs.map(tensor),
    outputs: m.outputs.map(tensor),
  };
}

function onlyGet(req: IncomingMessage): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req, 'GET');
}

function methodNotAllowed(req: IncomingMessage, allowed: string): HttpError {
  return new HttpError(405, `method ${String(req.method).slice(0, 16)} is not allowed here: use ${allowed}`);
}
