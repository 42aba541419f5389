// The controller's /metrics endpoint (control plane): plain HTTP on a loopback port of its own, for
// Prometheus on the same host (the service discovery file lists it). Nothing else is served.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../../common/errors.js';

export interface MetricsServer {
  /** http://127.0.0.1:PORT/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The only address the controller's metrics listen on. */
export const METRICS_HOST = '127.0.0.1';

/**
 * Serves `GET /metrics` (the text `metrics()` resolves to) on 127.0.0.1:`port` (0 picks a free
 * one). A port in use is a UserError naming controller.metrics_port.
 */
export async function startMetricsServer(port: number, metrics: () => Promise<string>): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics')
      return reply(
        404,
        JSON.stringify({ error: `no route for ${req.method} ${path}: the controller serves only GET /metrics here` }),
      );
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply(405, JSON.stringify({ error: `${req.method} /metrics is not supported: use GET` }));
    metrics().then(
      (text) => reply(200, text, 'text/plain; version=0.0.4; charset=utf-8'),
      () => reply(500, '{"error":"metrics could not be collected"}'),
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(
              `controller.metrics_port ${port}: ${METRICS_HOST}:${port} is in use; pick ` +
                `another port in the profile (0 picks a free one)`,
            )
          : err,
      );
    });
    server.listen(port, METRICS_HOST, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${METRICS_HOST}:${bound}/metrics`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
