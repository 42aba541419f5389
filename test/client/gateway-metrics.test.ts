// `serve status`'s cache line and other servers: the hit rate and the counts read from the gateway's
// /metrics text, the servers listed from the profile, and the URL redaction that keeps a password
// out of `serve validate` and `serve status`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheStatusFromMetrics, countOtherServers } from '../../src/client/gateway-metrics.js';
import { renderCache, renderOtherServers } from '../../src/cli/status/gateway.js';
import { otherServersOf } from '../../src/cluster/controller/status.js';
import { testProfile } from '../cluster/helpers.js';
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

test("the hit rate and counters come from the gateway's /metrics; no cache series: undefined", () => {
  const c = cacheStatusFromMetrics(text)!;
  assert.deepEqual(c, {
    hits: 75,
    misses: 25,
    hitRate: 0.75,
    redisHits: 5,
    entries: 40,
    bytes: 2097152,
    evictions: 3,
    redisErrors: 2,
  });
  assert.equal(
    renderCache(c),
    'Cache: 75.0% hits (75 of 100, 5 from Redis); 40 entries, 2.0MiB, 3 evictions, 2 Redis errors',
  );
  assert.equal(cacheStatusFromMetrics('serve_gateway_requests_total{code="200"} 5\n'), undefined);
  assert.match(renderCache({ ...c, hits: 0, misses: 0, hitRate: undefined }), /no cacheable request yet/);
});

test("a URL's password is never shown", () => {
  assert.equal(redactUrl('redis://:s3cret@cache:6379/0'), 'redis://:***@cache:6379/0');
  assert.equal(redactUrl('redis://user:s3cret@cache:6379'), 'redis://user:***@cache:6379');
  assert.equal(redactUrl('redis://s3cret@cache:6379'), 'redis://***@cache:6379');
  assert.equal(redactUrl('redis://cache:6379'), 'redis://cache:6379');
  assert.ok(!redactUrl('::s3cret').includes('s3cret'));
});

test("the external, fallback and shadow servers: listed from the profile without passwords, counted from the gateway's /metrics", () => {
  assert.equal(otherServersOf(testProfile('/nowhere')), undefined, 'none configured: no section');
  const profile = testProfile('/nowhere');
  profile.gateway = {
    ...profile.gateway,
    external: [
      { url: 'http://old-a:8000', weight: 0.25 },
      { url: 'http://user:pw@old-b:8000', weight: 0.05 },
    ],
    fallbackUrl: 'http://old-a:8000',
    shadow: { url: 'http://next:9000', share: 0.1 },
  };
  const listed = otherServersOf(profile)!.otherServers;
  assert.deepEqual(
    listed.external.map((e) => [e.name, e.url, e.weightPercent]),
    [
      ['external-0', 'http://old-a:8000', 25],
      ['external-1', 'http://user:***@old-b:8000/', 5],
    ],
  );
  assert.deepEqual(renderOtherServers(listed), [
    'Other servers:',
    '  external-0 http://old-a:8000: 25% of infer requests',
    '  external-1 http://user:***@old-b:8000/: 5% of infer requests',
    '  fallback http://old-a:8000: when no replica can answer',
    '  shadow http://next:9000: a copy of 10% of infer requests',
  ]);
  const metrics = `serve_gateway_other_requests_total{server="external-0"} 250
serve_gateway_other_requests_total{server="fallback"} 3
serve_gateway_shadow_requests_total 100
serve_gateway_shadow_agreements_total 97
serve_gateway_shadow_disagreements_total 2
serve_gateway_shadow_errors_total 1
serve_gateway_shadow_dropped_total 0
`;
  const counted = countOtherServers(listed, metrics);
  assert.deepEqual(
    counted.external.map((e) => e.requests),
    [250, 0],
  );
  assert.deepEqual(renderOtherServers(counted).slice(1), [
    '  external-0 http://old-a:8000: 25% of infer requests · 250 sent',
    '  external-1 http://user:***@old-b:8000/: 5% of infer requests · 0 sent',
    '  fallback http://old-a:8000: when no replica can answer · 3 sent',
    '  shadow http://next:9000: a copy of 10% of infer requests · 100 copies (97 agreed, 2 disagreed, 1 errors, 0 dropped)',
  ]);
});
