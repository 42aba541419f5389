// The response cache of a running cluster, read from outside (client): the gateway's /metrics
// counters as hits, misses and the hit rate for `serve status`. Never fails a status: a gateway
// that does not answer in time, or runs without a cache, gives undefined.
import type { CacheStatus } from '../common/cluster-status.js';

/** Sums every sample of the series `name` (any labels) in Prometheus text; undefined when absent. */
function sum(text: string, name: string, label?: string): number | undefined {
  let total: number | undefined;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})?\\s+(\\S+)$`, 'gm'))) {
    if (label !== undefined && !(m[1] ?? '').includes(label)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) total = (total ?? 0) + v;
  }
  return total;
}

/** The cache's figures from the gateway's /metrics text, or undefined when it has no cache series. */
export function cacheStatusFromMetrics(text: string): CacheStatus | undefined {
  const misses = sum(text, 'serve_gateway_cache_misses_total');
  if (misses === undefined) return undefined;
  const hits = sum(text, 'serve_gateway_cache_hits_total') ?? 0;
  return {
    hits, misses, hitRate: hits + misses > 0 ? hits / (hits + misses) : undefined,
    redisHits: sum(text, 'serve_gateway_cache_hits_total', 'level="redis"') ?? 0,
    entries: sum(text, 'serve_gateway_cache_entries') ?? 0,
    bytes: sum(text, 'serve_gateway_cache_bytes') ?? 0,
    evictions: sum(text, 'serve_gateway_cache_evictions_total') ?? 0,
    redisErrors: sum(text, 'serve_gateway_cache_redis_errors_total') ?? 0,
  };
}

/** Reads the cache figures of the gateway at `gatewayUrl` within `timeoutMs`; undefined on any trouble. */
export async function readGatewayCache(gatewayUrl: string, timeoutMs: number): Promise<CacheStatus | undefined> {
  if (!gatewayUrl) return undefined;
  try {
    const res = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return cacheStatusFromMetrics(await res.text());
  } catch {
    return undefined;
  }
}
