// The gateway's authentication and quotas as pure logic on a manual clock: who a header names, what
// a request without a valid token gets, open paths, and each token's bucket (burst, then its rate).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { hashToken, type AuthConfig } from '../../src/common/auth.js';
import { ManualClock } from '../../src/common/clock.js';
import { AuthGate } from '../../src/gateway/auth/gate.js';
import { parseAuth } from '../../src/gateway/auth/control.js';
import { AuthMetrics } from '../../src/gateway/auth/metrics.js';
import { TokenBucket } from '../../src/gateway/auth/quota.js';
import { bearerToken, TokenCheck } from '../../src/gateway/auth/token-check.js';

const ALICE = 'alice-0123456789abcdef';
const BOB = 'bob-fedcba9876543210xx';
const config = (over: Partial<AuthConfig> = {}): AuthConfig => ({
  tokens: [
    { name: 'alice', sha256: hashToken(ALICE), requestsPerSecond: 2, burst: 3 },
    { name: 'bob', sha256: hashToken(BOB) },
  ],
  openHealth: true,
  openMetrics: false,
  ...over,
});

function gate(c?: AuthConfig, required = true) {
  const registry = new Registry();
  const g = new AuthGate(required, new AuthMetrics(registry));
  if (c) g.configure(c);
  return { g, registry };
}

test('a bucket lets its burst through at once, then one request per 1/rate, and says how long to wait', () => {
  const clock = new ManualClock(1000);
  const b = new TokenBucket(2, 3);
  assert.deepEqual([b.take(clock.nowMs()), b.take(clock.nowMs()), b.take(clock.nowMs())], [0, 0, 0]);
  assert.equal(b.take(clock.nowMs()), 500, 'at 2/s the next token is 500 ms away');
  clock.advance(250);
  assert.equal(b.take(clock.nowMs()), 250);
  clock.advance(250);
  assert.equal(b.take(clock.nowMs()), 0);
  clock.advance(10_000);
  assert.deepEqual(
    [0, 1, 2, 3].map(() => b.take(clock.nowMs())),
    [0, 0, 0, 500],
    'idle time refills up to the burst, not beyond',
  );
  assert.equal(new TokenBucket(2.5).capacity, 3, 'without a burst: one second of the rate');
});

test('the Authorization header: Bearer in any case, one token, nothing else', () => {
  assert.equal(bearerToken(`Bearer ${ALICE}`), ALICE);
  assert.equal(bearerToken(`bearer   ${ALICE} `), ALICE);
  assert.equal(bearerToken(`Basic ${ALICE}`), undefined);
  assert.equal(bearerToken(`Bearer a b`), undefined);
  const check = new TokenCheck(config().tokens);
  assert.deepEqual(check.identify(`Bearer ${BOB}`), { token: config().tokens[1] });
  assert.deepEqual(check.identify(undefined), { missing: true });
  assert.deepEqual(check.identify(`Bearer ${ALICE}x`), { invalid: true });
  assert.deepEqual(check.identify(`Token ${ALICE}`), { invalid: true });
});

test('without a valid token: 401 with WWW-Authenticate and a message that never quotes the token', () => {
  const { g } = gate(config());
  const missing = g.judge('/v2/models/m/infer', undefined, 0);
  assert.deepEqual(missing, {
    status: 401,
    message: 'this gateway needs a bearer token: send the header Authorization: Bearer <token>',
    headers: { 'www-authenticate': 'Bearer realm="serve"' },
  });
  const wrong = g.judge('/v2/models/m/infer', 'Bearer not-a-token-we-know-1234', 0);
  assert.equal(wrong?.status, 401);
  assert.equal(wrong?.headers['www-authenticate'], 'Bearer realm="serve", error="invalid_token"');
  assert.ok(!JSON.stringify(wrong).includes('not-a-token-we-know'));
  assert.equal(g.judge('/v2/models/m/infer', `Bearer ${BOB}`, 0), undefined);
});

test('health is open by default, /metrics needs a token unless opened; both follow the profile', () => {
  const closed = gate(config()).g;
  assert.equal(closed.judge('/v2/health/ready', undefined, 0), undefined);
  assert.equal(closed.judge('/v2/health/live', undefined, 0), undefined);
  assert.equal(closed.judge('/metrics', undefined, 0)?.status, 401);
  assert.equal(closed.judge('/v2/health/readyz', undefined, 0)?.status, 401, 'only the exact paths are open');
  const flipped = gate(config({ openHealth: false, openMetrics: true })).g;
  assert.equal(flipped.judge('/v2/health/ready', undefined, 0)?.status, 401);
  assert.equal(flipped.judge('/metrics', undefined, 0), undefined);
});

test('over its quota a token gets 429 with Retry-After in whole seconds; other tokens are not touched', async () => {
  const clock = new ManualClock(0);
  const { g, registry } = gate(config());
  const alice = () => g.judge('/v2/models/m/infer', `Bearer ${ALICE}`, clock.nowMs());
  assert.deepEqual([alice(), alice(), alice()], [undefined, undefined, undefined]);
  const over = alice();
  assert.equal(over?.status, 429);
  assert.deepEqual(over?.headers, { 'retry-after': '1' });
  assert.equal(over?.message, 'token "alice" is over its quota of 2 requests per second (burst 3); retry after 1 s');
  for (let i = 0; i < 100; i++)
    assert.equal(g.judge('/v2/models/m/infer', `Bearer ${BOB}`, clock.nowMs()), undefined, 'bob has no quota');
  clock.advance(500);
  assert.equal(alice(), undefined);
  const text = await registry.metrics();
  assert.match(text, /serve_gateway_quota_rejections_total\{token="alice"\} 1/);
  assert.match(text, /serve_gateway_token_requests_total\{token="alice"\} 4/);
  assert.match(text, /serve_gateway_token_requests_total\{token="bob"\} 100/);
  assert.ok(!text.includes(ALICE) && !text.includes(hashToken(ALICE)), 'metrics name tokens, never show them');
});

test('new tokens keep the buckets of those that stay; until the tokens arrive every request waits with 503', () => {
  const clock = new ManualClock(0);
  const { g } = gate(undefined);
  assert.deepEqual(g.judge('/v2/health/live', undefined, 0), {
    status: 503,
    message: 'the gateway is waiting for its tokens; retry later',
    headers: { 'retry-after': '1' },
  });
  g.configure(config());
  for (let i = 0; i < 3; i++) g.judge('/x', `Bearer ${ALICE}`, clock.nowMs());
  g.configure(config({ openMetrics: true }));
  assert.equal(
    g.judge('/x', `Bearer ${ALICE}`, clock.nowMs())?.status,
    429,
    'a reconfiguration is no way around the quota',
  );
  assert.equal(gate(undefined, false).g.judge('/x', undefined, 0), undefined, 'without --auth the gateway is open');
});

test('the auth control line is checked whole: digests, names and quotas', () => {
  assert.deepEqual(parseAuth(config()), config());
  assert.throws(() => parseAuth({ ...config(), tokens: [] }), /non-empty array/);
  assert.throws(
    () => parseAuth({ ...config(), tokens: [{ name: 'x', sha256: ALICE }] }),
    /sha256 must be 64 lowercase hex digits/,
  );
  assert.throws(
    () => parseAuth({ ...config(), tokens: [{ name: 'x', sha256: hashToken(ALICE), burst: 0.5 }] }),
    /burst must be a whole number/,
  );
  assert.throws(() => parseAuth({ tokens: config().tokens }), /openHealth/);
});
