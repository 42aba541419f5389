// What `serve status` reads from a running gateway's /metrics (client): the response cache's hits,
// misses and hit rate, and what it sent each of the other servers (external, fallback, shadow).
// Never fails a status: a gateway that does not answer in time gives undefined, and a series that
// is absent (no cache, no such server) leaves its figure out.
import type { CacheStatus, OtherServersStatus } from '../common/cluster-status.js';

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
    hits,
    misses,
    hitRate: hits + misses > 0 ? hits / (hits + misses) : undefined,
    redisHits: sum(text, 'serve_gateway_cache_hits_total', 'level="redis"') ?? 0,
    entries: sum(text, 'serve_gateway_cache_entries') ?? 0,
    bytes: sum(text, 'serve_gateway_cache_bytes') ?? 0,
    evictions: sum(text, 'serve_gateway_cache_evictions_total') ?? 0,
    redisErrors: sum(text, 'serve_gateway_cache_redis_errors_total') ?? 0,
  };
}

/**
 * `others` with the gateway's counts from its /metrics text: requests sent to each external server
 * and the fallback (serve_gateway_other_requests_total by server), and the shadow's copies.
 */
export function countOtherServers(others: OtherServersStatus, text: string): OtherServersStatus {
  const sent = (server: string) => sum(text, 'serve_gateway_other_requests_total', `server="${server}"`) ?? 0;
  const shadow = (name: string) => sum(text, `serve_gateway_shadow_${name}_total`) ?? 0;
  return {
    external: others.external.map((e) => ({ ...e, requests: sent(e.name) })),
    ...(others.fallback ? { fallback: { ...others.fallback, requests: sent('fallback') } } : {}),
    ...(others.shadow
      ? {
          shadow: {
            ...others.shadow,
            copies: shadow('requests'),
            agreements: shadow('agreements'),
            disagreements: shadow('disagreements'),
            errors: shadow('errors'),
            dropped: shadow('dropped'),
          },
        }
      : {}),
  };
}

/** The /metrics text of the gateway at `gatewayUrl` within `timeoutMs`; undefined on any trouble. */
export async function readGatewayMetrics(gatewayUrl: string, timeoutMs: number): Promise<string | undefined> {
  if (!gatewayUrl) return undefined;
  try {
    const res = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return await res.text();
  } catch {
    return undefined;
  }
}
