// The response cache's Prometheus series (gateway cache, data plane), on the gateway's registry:
// hits by level, misses, evictions, bytes and entries held, Redis errors.
import { Counter, Gauge, type Registry } from 'prom-client';

/** Where a hit came from. */
export type CacheLevel = 'memory' | 'redis';

export class CacheMetrics {
  private readonly hitsBy: Record<CacheLevel, Counter.Internal>;
  private readonly missesTotal: Counter;
  private readonly redisErrorsTotal: Counter;

  constructor(registry: Registry, source: { bytes(): number; entries(): number; evictions(): number }) {
    const registers = [registry];
    const hits = new Counter({
      name: 'serve_gateway_cache_hits_total',
      help: 'Infer requests answered from the response cache, by level (memory, redis).',
      labelNames: ['level'],
      registers,
    });
    this.hitsBy = { memory: hits.labels('memory'), redis: hits.labels('redis') };
    this.missesTotal = new Counter({
      name: 'serve_gateway_cache_misses_total',
      help: 'Cacheable infer requests not found in the cache (forwarded to a replica).',
      registers,
    });
    this.redisErrorsTotal = new Counter({
      name: 'serve_gateway_cache_redis_errors_total',
      help: 'Redis commands that failed or took longer than cache.redis.timeout, and ' + 'connection errors.',
      registers,
    });
    new Counter({
      name: 'serve_gateway_cache_evictions_total',
      help: 'Cached answers dropped for room (max_entries or max_bytes), before their TTL.',
      registers,
      collect() {
        this.reset();
        this.inc(source.evictions());
      },
    });
    new Gauge({
      name: 'serve_gateway_cache_bytes',
      help: 'Bytes of answers and keys held in the memory level.',
      registers,
      collect() {
        this.set(source.bytes());
      },
    });
    new Gauge({
      name: 'serve_gateway_cache_entries',
      help: 'Answers held in the memory level.',
      registers,
      collect() {
        this.set(source.entries());
      },
    });
  }

  hit(level: CacheLevel): void {
    this.hitsBy[level].inc();
  }

  miss(): void {
    this.missesTotal.inc();
  }

  redisError(): void {
    this.redisErrorsTotal.inc();
  }
}
