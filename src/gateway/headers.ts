// Header handling of the forwarding path (gateway, data plane): which request headers go to the
// replica and how the replica's response headers come back, with Server-Timing merged.
import {
  CLUSTER_TOKEN_HEADER,
  GATEWAY_INFLIGHT_HEADER,
  MODEL_VERSION_HEADER,
  REPLICA_HEADER,
  TIMEOUT_HEADER,
} from '../common/wire.js';

/**
 * Request headers the gateway never forwards: hop-by-hop ones, those it sets itself, and the
 * client's credentials (the gateway checked them; replicas, perhaps on other hosts, never see them).
 */
const dropRequest = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  TIMEOUT_HEADER,
  CLUSTER_TOKEN_HEADER,
  GATEWAY_INFLIGHT_HEADER,
  'authorization',
]);

/** Response headers the gateway replaces or drops (hop-by-hop, Node adds its own Date). */
const dropResponse = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
  'server-timing',
  REPLICA_HEADER,
  MODEL_VERSION_HEADER,
]);

/**
 * Builds the flat [name, value, ...] header list for the replica from Node's `rawHeaders`, keeping
 * everything end-to-end (content-type, Inference-Header-Content-Length, priority, accept...) and
 * setting the timeout header to `budgetMs` and, when the cluster has one, the cluster token (a
 * client's own copy of that header is dropped). undici sets host and content-length itself.
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  budgetMs: number,
  clusterToken?: string,
  inflight?: number,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (dropRequest.has(name.toLowerCase())) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  out.push(TIMEOUT_HEADER, String(budgetMs));
  if (clusterToken !== undefined) out.push(CLUSTER_TOKEN_HEADER, clusterToken);
  if (inflight !== undefined) out.push(GATEWAY_INFLIGHT_HEADER, String(inflight));
  return out;
}

/**
 * Builds the flat header list for the client from the replica's raw response headers: drops
 * hop-by-hop ones, sets content-length, names the replica, and prepends the gateway's timing to
 * the replica's Server-Timing entries.
 */
export function clientResponseHeaders(
  rawHeaders: readonly Buffer[] | readonly string[],
  bodyBytes: number,
  replicaId: string,
  gatewayTiming: string,
): string[] {
  const out: string[] = [];
  let timing = gatewayTiming;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = text(rawHeaders[i]!);
    const lower = name.toLowerCase();
    if (dropResponse.has(lower)) {
      if (lower === 'server-timing') timing += ', ' + text(rawHeaders[i + 1]!);
      continue;
    }
    out.push(name, text(rawHeaders[i + 1]!));
  }
  out.push('content-length', String(bodyBytes), REPLICA_HEADER, replicaId, 'server-timing', timing);
  return out;
}

/** Server-Timing entries of the gateway: its whole time and the time spent waiting on replicas. */
export function gatewayTiming(totalMs: number, upstreamMs: number): string {
  return `gateway;dur=${totalMs.toFixed(3)}, upstream;dur=${upstreamMs.toFixed(3)}`;
}

function text(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}
