// The profile's gateway.external list, gateway.fallback and gateway.shadow: values, what reaches
// the gateway's settings, and problems located at paths such as gateway.external[1].url.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProfile } from '../../src/profile/parse.js';
import { gatewaySettings } from '../../src/cluster/launchers/child-args.js';
import { parseExternalServers } from '../../src/common/external-servers.js';
import { assertOneProblem, base } from './helpers.js';

const load = (text: string) => parseProfile(text, 'p.yaml', {}, '/work');

const full = `${base}gateway:
  external:
    - url: http://fastapi.internal:8080
      weight: 20%
    - url: https://old.example
      weight: 0.05
  fallback:
    url: http://fastapi.internal:8080
  shadow:
    url: http://shadow.internal:9000
    share: 25%
`;

test('external servers, fallback and shadow are read, and reach the gateway as settings', () => {
  const p = load(full);
  assert.deepEqual(p.gateway.external, [
    { url: 'http://fastapi.internal:8080', weight: 0.2 },
    { url: 'https://old.example', weight: 0.05 },
  ]);
  assert.equal(p.gateway.fallbackUrl, 'http://fastapi.internal:8080');
  assert.deepEqual(p.gateway.shadow, { url: 'http://shadow.internal:9000', share: 0.25 });
  const s = gatewaySettings(p);
  assert.deepEqual(parseExternalServers(s.externalServers!), [
    { url: 'http://fastapi.internal:8080', weightPercent: 20 },
    { url: 'https://old.example', weightPercent: 5 },
  ]);
  assert.equal(s.fallbackUrl, 'http://fastapi.internal:8080');
  assert.equal(s.shadowUrl, 'http://shadow.internal:9000');
  assert.equal(s.shadowShare, 0.25);
});

test('without them the gateway has none, and the shadow share defaults to 10%', () => {
  const p = load(base);
  assert.equal(p.gateway.external, undefined);
  assert.equal(p.gateway.fallbackUrl, undefined);
  assert.equal(p.gateway.shadow, undefined);
  const s = gatewaySettings(p);
  assert.equal(s.externalServers, undefined);
  assert.equal(s.shadowUrl, undefined);
  assert.equal(load(`${base}gateway:\n  shadow:\n    url: http://s:1\n`).gateway.shadow?.share, 0.1);
});

test('every field of an external item changes the loaded profile', () => {
  const one = (url: string, weight: string) =>
    load(`${base}gateway:\n  external:\n    - url: ${url}\n      weight: ${weight}\n`).gateway.external;
  assert.notDeepEqual(one('http://a:1', '10%'), one('http://b:1', '10%'));
  assert.notDeepEqual(one('http://a:1', '10%'), one('http://a:1', '20%'));
});

test('problems: URLs must be http(s) base URLs, weights add up to at most 100%, each item needs both fields', () => {
  assertOneProblem(`${base}gateway:\n  fallback:\n    url: ftp://old:21\n`, {
    line: 5,
    col: 10,
    path: 'gateway.fallback.url',
    message: /got "ftp:\/\/old:21", expected an http:\/\/ or https:\/\/ base URL/,
  });
  assertOneProblem(`${base}gateway:\n  external:\n    - url: http://a:1/v2\n      weight: 10%\n`, {
    line: 5,
    col: 12,
    path: 'gateway.external[0].url',
    message: /base URL/,
  });
  assertOneProblem(
    `${base}gateway:\n  external:\n    - url: http://a:1\n      weight: 60%\n    - url: http://b:1\n      weight: 50%\n`,
    {
      line: 5,
      col: 5,
      path: 'gateway.external',
      message: /the weights add up to 110%, expected at most 100% \(the replicas take 100% minus the sum\)/,
    },
  );
  assertOneProblem(`${base}gateway:\n  external:\n    - url: http://a:1\n`, {
    line: 5,
    col: 7,
    path: 'gateway.external[0].weight',
    message: /is missing/,
  });
  assertOneProblem(`${base}gateway:\n  external:\n    - url: http://a:1\n      weight: 120%\n`, {
    line: 6,
    col: 15,
    path: 'gateway.external[0].weight',
    message: /between 0% and 100%/,
  });
  assertOneProblem(`${base}gateway:\n  shadow:\n    share: 5%\n`, {
    line: 5,
    col: 12,
    path: 'gateway.shadow.share',
    message: /gateway.shadow.url is not/,
  });
  assert.doesNotThrow(() => load(full));
});
