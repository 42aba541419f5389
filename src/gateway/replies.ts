// Writing responses to the client (gateway, data plane): a replica's answer passed through with
// the gateway's headers, or the gateway's own `{"error": ...}` answer.
import type { ServerResponse } from 'node:http';
import type { Attempt, Exchange } from './exchange.js';
import { clientResponseHeaders, gatewayTiming } from './headers.js';
import { MODEL_VERSION_HEADER } from '../common/wire.js';

/** Seconds a client is told to wait in `Retry-After` when the gateway sheds. */
export const RETRY_AFTER_S = '1';

/** Writes the replica's status, headers and body bytes unchanged, in one write (plus Cache-Status when the cache was asked). */
export function writeUpstreamReply(
  ex: Exchange,
  a: Attempt,
  body: Buffer,
  totalMs: number,
  cacheStatus?: string,
): void {
  const headers = clientResponseHeaders(a.rawHeaders, a.bytes, a.upstream.id, gatewayTiming(totalMs, ex.upstreamMs));
  if (cacheStatus !== undefined) headers.push('cache-status', cacheStatus);
  if (a.upstream.version !== undefined) headers.push(MODEL_VERSION_HEADER, a.upstream.version);
  ex.res.writeHead(a.status, headers);
  ex.res.end(ex.req.method === 'HEAD' ? undefined : body);
}

/** Writes a cached answer (200) with the gateway's timing. */
export function writeCachedReply(
  ex: Exchange,
  headers: Record<string, string | number>,
  body: Buffer,
  totalMs: number,
): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  ex.res.writeHead(200, { ...headers, 'server-timing': gatewayTiming(totalMs, 0) });
  ex.res.end(body);
}

/** Writes `{"error": message}`, with Retry-After on 503. Does nothing if the client is gone. */
export function writeOwnReply(
  res: ServerResponse,
  status: number,
  message: string,
  totalMs: number,
  upstreamMs: number,
): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ error: message });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'server-timing': gatewayTiming(totalMs, upstreamMs),
  };
  if (status === 503) headers['retry-after'] = RETRY_AFTER_S;
  res.writeHead(status, headers);
  res.end(body);
}
