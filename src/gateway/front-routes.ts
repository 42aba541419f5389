// The gateway's HTTP front routing (gateway, data plane): auth first, then inference and metadata to
// the core; health and /metrics are answered here, anything else is a 404 or 405.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { guardUnreadBody } from '../common/http-slow-clients.js';
import type { AuthGate } from './auth/gate.js';
import type { GatewayCore } from './core.js';
import type { GatewayMetrics } from './metrics.js';

export function route(
  core: GatewayCore,
  metrics: GatewayMetrics,
  gate: AuthGate,
  req: IncomingMessage,
  res: ServerResponse,
  startMs: number,
): void {
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
    if (
      method === 'GET' ||
      method === 'HEAD' ||
      (method === 'POST' && (path.endsWith('/infer') || path === '/v2/repository/index'))
    ) {
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
    return json(
      res,
      405,
      JSON.stringify({ error: `${method} ${path} is not supported: use GET for metadata and POST .../infer` }),
    );
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
  json(
    res,
    404,
    JSON.stringify({
      error:
        `no route for ${method} ${path}: the gateway serves /v2/... (Open Inference ` + `Protocol v2) and /metrics`,
    }),
  );
}

function json(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
