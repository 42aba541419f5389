// The gateway with bearer tokens over real loopback HTTP: strangers get 401 and nothing reaches a
// replica, health stays open, /metrics needs a token and names tokens without showing them, the
// client's credentials never travel on to the replica, and a client over its quota cannot starve another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken, type AuthConfig } from '../../src/common/auth.js';
import { endpoints, fakesFor, gatewayFor, inferBody, inferPath, jsonHeaders, send } from './client.js';

const NOISY = 'noisy-client-0123456789abcdef';
const QUIET = 'quiet-client-fedcba9876543210';
const auth: AuthConfig = {
  tokens: [
    { name: 'noisy', sha256: hashToken(NOISY), requestsPerSecond: 20, burst: 20 },
    { name: 'quiet', sha256: hashToken(QUIET), requestsPerSecond: 100 },
  ],
  openHealth: true,
  openMetrics: false,
};
const bearer = (token: string) => ({ ...jsonHeaders, authorization: `Bearer ${token}` });

test('a request without a valid token gets 401 with WWW-Authenticate and reaches no replica; with one it is served', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes), authConfig: auth });
  for (const [headers, challenge] of [
    [jsonHeaders, 'Bearer realm="serve"'],
    [bearer('made-up-token-0123456789'), 'Bearer realm="serve", error="invalid_token"'],
    [
      { ...jsonHeaders, authorization: `Basic ${Buffer.from(`u:${QUIET}`).toString('base64')}` },
      'Bearer realm="serve", error="invalid_token"',
    ],
  ] as const) {
    const r = await send(gw.url + inferPath, { body: inferBody(), headers });
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], challenge);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.match((JSON.parse(r.body.toString()) as { error: string }).error, /bearer token/);
    assert.ok(!r.body.toString().includes('made-up-token'), 'the error body never echoes a token');
  }
  // Metadata and unknown paths are closed too: a stranger learns nothing.
  assert.equal((await send(gw.url + '/v2/models/demo')).status, 401);
  assert.equal((await send(gw.url + '/nope')).status, 401);
  assert.equal(fakes[0]!.seen.length, 0, 'nothing reached the replica');

  const ok = await send(gw.url + inferPath, { body: inferBody(), headers: bearer(QUIET) });
  assert.equal(ok.status, 200);
  assert.equal(fakes[0]!.seen.length, 1);
  assert.equal(fakes[0]!.seen[0]!.headers.authorization, undefined, "the client's credentials stay at the gateway");
});

test('health is open, /metrics needs a token and counts by token name, never by token', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok' });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes), authConfig: auth });
  assert.equal((await send(gw.url + '/v2/health/live')).status, 200);
  assert.equal((await send(gw.url + '/v2/health/ready')).status, 200);
  assert.equal((await send(gw.url + '/metrics')).status, 401);
  await send(gw.url + inferPath, { body: inferBody(), headers: bearer('made-up-token-0123456789') });
  const m = await send(gw.url + '/metrics', { headers: { authorization: `Bearer ${QUIET}` } });
  assert.equal(m.status, 200);
  const text = m.body.toString();
  assert.match(text, /serve_gateway_auth_failures_total\{reason="missing"\} 1/);
  assert.match(text, /serve_gateway_auth_failures_total\{reason="invalid"\} 1/);
  assert.match(text, /serve_gateway_token_requests_total\{token="quiet"\} 1/);
  assert.match(text, /serve_gateway_requests_total\{code="401"\} 2/);
  for (const secret of [QUIET, NOISY, hashToken(QUIET), 'made-up-token'])
    assert.ok(!text.includes(secret), 'a token in /metrics');
});

test('one client over its quota gets 429 with Retry-After and cannot starve another', async (t) => {
  const fakes = await fakesFor(t, { kind: 'ok', delayMs: 2 }, { kind: 'ok', delayMs: 2 });
  const gw = await gatewayFor(t, { replicas: endpoints(fakes), authConfig: auth });
  // The noisy client fires 400 requests at once (20 per second allowed, burst 20) while the quiet one sends 30, one after another.
  const noisy = Promise.all(
    Array.from({ length: 400 }, (_, i) => send(gw.url + inferPath, { body: inferBody(i), headers: bearer(NOISY) })),
  );
  const quiet: number[] = [];
  for (let i = 0; i < 30; i++)
    quiet.push((await send(gw.url + inferPath, { body: inferBody(i), headers: bearer(QUIET) })).status);
  const noisyReplies = await noisy;
  assert.deepEqual([...new Set(quiet)], [200], 'every request of the quiet client was served');
  const served = noisyReplies.filter((r) => r.status === 200).length;
  const refused = noisyReplies.filter((r) => r.status === 429);
  assert.equal(served + refused.length, 400);
  assert.ok(served >= 20 && served <= 60, `the noisy client got about its burst and rate through: ${served}`);
  assert.equal(refused[0]!.headers['retry-after'], '1');
  assert.match(
    (JSON.parse(refused[0]!.body.toString()) as { error: string }).error,
    /^token "noisy" is over its quota of 20 requests per second \(burst 20\); retry after 1 s$/,
  );
  const text = await gw.metrics();
  assert.match(text, new RegExp(`serve_gateway_quota_rejections_total\\{token="noisy"\\} ${refused.length}\\n`));
  assert.match(text, new RegExp(`serve_gateway_requests_total\\{code="429"\\} ${refused.length}\\n`));
  assert.equal(fakes[0]!.seen.length + fakes[1]!.seen.length, served + 30, 'refused requests never reached a replica');
});
