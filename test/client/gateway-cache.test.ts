// `serve status`'s cache line: the hit rate read from the gateway's /metrics text, and the URL
// redaction that keeps a Redis password out of `serve validate`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheStatusFromMetrics } from '../../src/client/gateway-cache.js';
import { renderCache } from '../../src/cli/status.js';
import { redactUrl } from '../../src/common/redact-url.js';

const text = `# HELP serve_gateway_cache_hits_total x
# TYPE serve_gateway_cache_hits_total counter
serve_gateway_cache_hits_total{level="memory"} 70
serve_gateway_cache_hits_total{level="redis"} 5
serve_gateway_cache_misses_total 25
serve_gateway_cache_redis_errors_total 2
serve_gateway_cache_evictions_total 3
serve_gateway_cache_bytes 2097152
serve_gateway_cache_entries 40
`;

test('the hit rate and counters come from the gateway\'s /metrics; no cache series: undefined', () => {
  const c = cacheStatusFromMetrics(text)!;
  assert.deepEqual(c, { hits: 75, misses: 25, hitRate: 0.75, redisHits: 5, entries: 40, bytes: 2097152, evictions: 3, redisErrors: 2 });
  assert.equal(renderCache(c), 'Cache: 75.0% hits (75 of 100, 5 from Redis); 40 entries, 2.0MiB, 3 evictions, 2 Redis errors');
  assert.equal(cacheStatusFromMetrics('serve_gateway_requests_total{code="200"} 5\n'), undefined);
  assert.match(renderCache({ ...c, hits: 0, misses: 0, hitRate: undefined }), /no cacheable request yet/);
});

test('a URL\'s password is never shown', () => {
  assert.equal(redactUrl('redis://:s3cret@cache:6379/0'), 'redis://:***@cache:6379/0');
  assert.equal(redactUrl('redis://user:s3cret@cache:6379'), 'redis://user:***@cache:6379');
  assert.equal(redactUrl('redis://s3cret@cache:6379'), 'redis://***@cache:6379');
  assert.equal(redactUrl('redis://cache:6379'), 'redis://cache:6379');
  assert.ok(!redactUrl('::s3cret').includes('s3cret'));
});
