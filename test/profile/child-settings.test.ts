// Every row of the data-plane settings table that reads the profile reads its own field: change that
// field of a profile and the child's setting changes (and no setting of another field does); a row the
// YAML documents a profile path for reads the field that YAML path fills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { TableSetting } from '../../src/common/settings/settings.js';
import { replicaSettingsTable } from '../../src/common/settings/table.js';
import { gatewaySettingsTable } from '../../src/common/settings/table-gateway.js';
import { gatewaySettings, replicaSettings } from '../../src/cluster/launchers/child-args.js';
import { valueAt } from '../../src/profile/child-settings.js';
import { parseProfile } from '../../src/profile/parse.js';
import type { Profile } from '../../src/profile/types.js';

const base = parseProfile('model:\n  name: cnn-lstm\n', 'p.yaml', {}, '/work');

/** Values for the fields a minimal profile leaves out (optional sections). */
const sample: Readonly<Record<string, unknown>> = {
  'slo.p99Ms': 250,
  'gateway.auth': { tokens: [], openHealth: true, openMetrics: false },
  'gateway.tls.certPath': '/etc/serve/cert.pem',
  'gateway.tls.keyPath': '/etc/serve/key.pem',
  'gateway.external': [{ url: 'http://old:8080', weight: 0.2 }],
  'gateway.fallbackUrl': 'http://old:8080',
  'gateway.shadow.url': 'http://shadow:8080',
  'gateway.shadow.share': 0.5,
  'cache.redis.url': 'redis://127.0.0.1:6390',
};

/** A value of the field at `dotted` other than `now`. */
function otherValue(dotted: string, now: unknown, row: TableSetting): unknown {
  if (now === undefined) {
    assert.ok(dotted in sample, `add a sample value for the profile field ${dotted} to this test`);
    return sample[dotted];
  }
  if (row.choices !== undefined) return row.choices.find((c) => c !== now);
  if (typeof now === 'number') return now + 1;
  if (typeof now === 'boolean') return !now;
  assert.equal(typeof now, 'string', `${dotted}: no other value for ${JSON.stringify(now)}`);
  return `${String(now)}-other`;
}

/** A copy of `p` with `value` at `dotted` (absent sections created). */
function withValue(p: Profile, dotted: string, value: unknown): Profile {
  const copy = structuredClone(p) as unknown as Record<string, unknown>;
  const keys = dotted.split('.');
  let at = copy;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return copy as unknown as Profile;
}

type Plane = [string, Readonly<Record<string, TableSetting>>, (p: Profile) => object];
const planes: Plane[] = [
  ['replica', replicaSettingsTable, (p) => replicaSettings(p, { modelVersion: 1, registry: '/r' })],
  ['gateway', gatewaySettingsTable, (p) => gatewaySettings(p)],
];

test("changing a row's profile field changes that child setting and no other", () => {
  let checked = 0;
  for (const [plane, table, build] of planes) {
    const before = build(base) as Record<string, unknown>;
    for (const [name, row] of Object.entries(table)) {
      if (row.from === 'run' || row.from === 'default') continue;
      const value = otherValue(row.from, valueAt(base, row.from), row);
      const after = build(withValue(base, row.from, value)) as Record<string, unknown>;
      assert.notDeepEqual(after[name], before[name], `${plane}.${name}: changing ${row.from} changed nothing`);
      for (const [other, otherRow] of Object.entries(table)) {
        if (other !== name && otherRow.from !== row.from)
          assert.deepEqual(after[other], before[other], `${plane}.${other} changed with ${row.from}`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 28, `checked ${checked} rows`);
});

test('a row with a documented profile path reads the profile (the gateway port: the launch, from it)', () => {
  for (const [plane, table] of planes) {
    for (const [name, row] of Object.entries(table)) {
      if (row.profilePath === undefined || (plane === 'gateway' && name === 'port')) continue;
      assert.ok(row.from !== 'run' && row.from !== 'default', `${plane}.${name} is in profiles but from ${row.from}`);
    }
  }
  const p = withValue(base, 'gateway.port', 9123);
  assert.equal(gatewaySettings(p).port, 9123);
  assert.equal(gatewaySettings(p, 8200).port, 8200);
});

test('launch values reach the replica; a launch value not given takes the default', () => {
  const r = replicaSettings(base, { modelVersion: 4, registry: '/m', listenHost: '10.0.0.2', authToken: 't' });
  assert.deepEqual([r.model, r.registry, r.host, r.port, r.authToken], ['cnn-lstm@4', '/m', '10.0.0.2', 0, 't']);
  const plain = replicaSettings(base, { modelVersion: 1, registry: '/m' });
  assert.deepEqual([plain.host, plain.heartbeatTimeoutMs, 'authToken' in plain], ['127.0.0.1', 0, false]);
  assert.equal(gatewaySettings(base, 0, 'tok').replicaToken, 'tok');
});

/** For each documented YAML path, a value other than its default; a companion where one needs another. */
const yamlOther: Record<string, [unknown, [string, unknown]?]> = {
  'batching.max_batch_size': [16],
  'batching.batch_wait_timeout': ['4ms'],
  'batching.mode': ['fixed'],
  'batching.max_queued_requests': [99],
  'runtime.device': ['cpu'],
  'runtime.threads': [2],
  drain_timeout: ['20s'],
  'gateway.host': ['0.0.0.0'],
  'gateway.port': [9000],
  'gateway.max_queued_requests': [77],
  'gateway.request_timeout': ['2s'],
  'gateway.eject_after_failures': [7],
  'gateway.eject_for': ['20s'],
  'gateway.try_timeout_min': ['150ms'],
  'gateway.replica_transport': ['http'],
  'gateway.keep_connections': [false],
  'gateway.tls.cert': ['/etc/serve/other.pem', ['gateway.tls.key', '/etc/serve/key.pem']],
  'gateway.tls.key': ['/etc/serve/other.pem', ['gateway.tls.cert', '/etc/serve/cert.pem']],
  'cache.enabled': [true],
  'cache.max_entries': [5],
  'cache.max_bytes': ['2MiB'],
  'cache.ttl': ['5s'],
  'cache.redis.url': ['redis://127.0.0.1:6390'],
  'cache.redis.prefix': ['other-'],
  'cache.redis.timeout': ['20ms'],
};

/** A profile from YAML with `model.name` and the given dotted values. */
function profileWith(...entries: Array<[string, unknown]>): Profile {
  const root: Record<string, unknown> = { model: { name: 'cnn-lstm' } };
  for (const [dotted, value] of entries) {
    const keys = dotted.split('.');
    let at = root;
    for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = value;
  }
  return parseProfile(stringify(root), 'p.yaml', {}, '/work');
}

test('the YAML path a row documents moves that child setting', () => {
  let checked = 0;
  for (const [plane, table, build] of planes) {
    for (const [name, row] of Object.entries(table)) {
      if (row.profilePath === undefined) continue;
      assert.ok(row.profilePath in yamlOther, `add a value for ${row.profilePath} to this test`);
      const [value, companion] = yamlOther[row.profilePath]!;
      let before: Record<string, unknown>;
      try {
        before = build(profileWith(...(companion ? [companion] : []))) as Record<string, unknown>;
      } catch {
        before = build(base) as Record<string, unknown>; // the companion alone is not a valid profile
      }
      const after = build(profileWith([row.profilePath, value], ...(companion ? [companion] : [])));
      const got = (after as Record<string, unknown>)[name];
      assert.notDeepEqual(got, before[name], `${plane}.${name}: setting ${row.profilePath} changed nothing`);
      checked++;
    }
  }
  assert.ok(checked >= 22, `checked ${checked} rows`);
});
