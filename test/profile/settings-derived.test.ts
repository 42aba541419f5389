// The profile and the data-plane settings table agree: every leaf of the profile reaches the
// Profile object (none is dead), and each data-plane setting's flag default is the profile default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseProfile } from '../../src/profile/parse.js';
import { profileTree, type ProfilePath } from '../../src/profile/schema.js';
import type { Node } from '../../src/profile/fields/fields.js';
import { defaultsOf } from '../../src/common/settings/settings.js';
import { replicaSettingsTable } from '../../src/common/settings/table.js';
import { gatewaySettingsTable } from '../../src/common/settings/table-gateway.js';
import { gatewaySettings, replicaSettings } from '../../src/cluster/launchers/child-args.js';

/** For every leaf, a valid value other than its default (typed: a new leaf needs an entry here). */
const otherValue: Record<ProfilePath, string> = {
  name: 'other',
  'model.name': 'other-model',
  'model.version': '7',
  'model.registry': '/srv/other',
  'replicas.min': '2',
  'replicas.max': '9',
  'replicas.initial': '3',
  'autoscaling.enabled': 'false',
  'autoscaling.target_ongoing_requests': '7',
  'autoscaling.upscale_delay': '3s',
  'autoscaling.downscale_delay': '33s',
  'autoscaling.metrics_interval': '2s',
  'autoscaling.look_back': '20s',
  'autoscaling.latency_guard': 'true',
  'resources.cpus': '0.5',
  'resources.gpus': '0.5',
  'resources.memory': '3GiB',
  'batching.max_batch_size': '16',
  'batching.batch_wait_timeout': '4ms',
  'batching.max_queued_requests': '99',
  'runtime.device': 'cpu',
  'runtime.threads': '2',
  'health.period': '700ms',
  'health.timeout': '300ms',
  'health.failure_threshold': '4',
  'health.startup_timeout': '45s',
  'restart.initial_backoff': '200ms',
  'restart.multiplier': '2',
  'restart.max_backoff': '20s',
  'restart.reset_after': '40s',
  'restart.crash_loop.failures': '6',
  'restart.crash_loop.window': '12s',
  'restart.failed_retry': '10m',
  'gateway.host': '0.0.0.0',
  'gateway.port': '9000',
  'gateway.max_queued_requests': '77',
  'gateway.request_timeout': '2s',
  'gateway.eject_after_failures': '7',
  'gateway.eject_for': '20s',
  'gateway.try_timeout_min': '150ms',
  'gateway.replica_transport': 'http',
  'gateway.keep_connections': 'false',
  'batching.mode': 'fixed',
  'cache.enabled': 'true',
  'cache.max_entries': '5',
  'cache.max_bytes': '2MiB',
  'cache.ttl': '5s',
  'cache.redis.url': 'redis://127.0.0.1:6390',
  'cache.redis.prefix': 'other-',
  'cache.redis.timeout': '20ms',
  drain_timeout: '20s',
  'local.cpus': '8',
  'local.memory': '16GiB',
  'local.gpus': '2',
  'resources.gpu_memory': '2GiB',
  'ssh.known_hosts': '/etc/k',
  'ssh.identity_file': '/etc/id',
  'ssh.config_file': 'none',
  'ssh.connect_timeout': '7s',
  'ssh.keepalive': '2s',
  'ssh.keepalive_count': '5',
  'controller.metrics_port': '9464',
  'controller.orphan_timeout': '10m',
  'gateway.auth.tokens': '["0123456789abcdef0123"]',
  'gateway.auth.tokens_file': tokensFile(),
  'gateway.auth.open_health': 'false',
  'gateway.auth.open_metrics': 'true',
  'gateway.tls.cert': '/etc/serve/cert.pem',
  'gateway.tls.key': '/etc/serve/key.pem',
  'gateway.fallback.url': 'http://old:8080',
  'gateway.shadow.url': 'http://shadow:8080',
  'gateway.shadow.share': '50%',
  'slo.p50': '40ms',
  'slo.p90': '60ms',
  'slo.p95': '85ms',
  'slo.p99': '90ms',
  'slo.p999': '150ms',
  'slo.max': '250ms',
  'slo.error_rate': '2%',
  'rollout.on_inconclusive': 'proceed',
  'slo.throughput.target': '300',
  'slo.throughput.minimum': '60',
  'tune.batch_sizes': '[1, 8, 16]',
  'tune.batch_waits': '"0ms,2ms"',
  'tune.replicas': '1..4',
  'tune.threads': '[1, 2]',
  'cost.cpu_hour': '0.04',
  'cost.gpu_hour': '2.5',
  'cost.gib_hour': '0.005',
};

/** Leaves that only take effect with another one: both the base and the changed profile carry it. */
const companion: Partial<Record<ProfilePath, [ProfilePath, string]>> = {
  'gateway.auth.open_health': ['gateway.auth.tokens', '["0123456789abcdef0123"]'],
  'gateway.auth.open_metrics': ['gateway.auth.tokens', '["0123456789abcdef0123"]'],
  'gateway.tls.cert': ['gateway.tls.key', '/etc/serve/key.pem'],
  'gateway.tls.key': ['gateway.tls.cert', '/etc/serve/cert.pem'],
  'gateway.shadow.share': ['gateway.shadow.url', 'http://shadow:8080'],
};

/** A private tokens file holding one token (gateway.auth.tokens_file must be mode 0600). */
function tokensFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'serve-derived-'));
  const file = path.join(dir, 'tokens');
  writeFileSync(file, 'ci fedcba9876543210fedcba\n', { mode: 0o600 });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}

/** Dotted paths of every leaf outside lists (list items are checked by the test below). */
function leafPaths(node: Node, prefix: string[] = []): string[] {
  if (node.kind === 'leaf') return [prefix.join('.')];
  if (node.kind !== 'section') return [];
  return Object.entries(node.fields).flatMap(([k, child]) => leafPaths(child, [...prefix, k]));
}

/** For every leaf of a `hosts` item, a valid value other than its default. */
const otherHostValue: Record<string, string> = {
  name: 'gpu-9',
  ssh: 'ops@gpu-9',
  address: '10.0.0.9',
  cpus: '4',
  memory: '8GiB',
  gpus: '2',
  workdir: '/opt/s',
  node: '/usr/bin/node',
  registry: '/opt/m',
};

test('every leaf of a hosts item changes the loaded host', () => {
  const hostTree = profileTree.fields.hosts.item;
  assert.deepEqual(
    Object.keys(hostTree.fields).sort(),
    Object.keys(otherHostValue).sort(),
    'the table above lists every host leaf',
  );
  const load = (extra: string) =>
    parseProfile(`model:\n  name: cnn-lstm\nhosts:\n  - name: a\n    ssh: a.example\n${extra}`, 'p.yaml', {}, '/work')
      .hosts[0];
  const base = load('');
  for (const [k, v] of Object.entries(otherHostValue)) {
    if (k === 'name' || k === 'ssh') continue;
    assert.notDeepEqual(load(`    ${k}: ${v}\n`), base, `hosts[].${k}: setting it changed nothing`);
  }
});

/** YAML setting each dotted path (with model.name, unless given). */
function yamlWith(...entries: Array<[string, string]>): string {
  const root: Record<string, unknown> = {};
  for (const [dotted, value] of [
    ...(entries.some(([d]) => d === 'model.name') ? [] : [['model.name', 'cnn-lstm'] as [string, string]]),
    ...entries,
  ]) {
    const keys = dotted.split('.');
    let node = root;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  const emit = (o: Record<string, unknown>, depth: number): string =>
    Object.entries(o)
      .map(
        ([k, v]) =>
          `${'  '.repeat(depth)}${k}:${typeof v === 'string' ? ` ${v}\n` : `\n${emit(v as Record<string, unknown>, depth + 1)}`}`,
      )
      .join('');
  return emit(root, 0);
}

test('every leaf of the profile changes the loaded Profile (no leaf is read by nobody)', () => {
  const all = leafPaths(profileTree);
  assert.deepEqual(all.sort(), Object.keys(otherValue).sort(), 'the table above lists every leaf');
  for (const dotted of all) {
    const extra = companion[dotted as ProfilePath];
    const plain = parseProfile('model:\n  name: cnn-lstm\n', 'p.yaml', {}, '/work');
    // A companion that is not valid alone (a TLS key without its certificate): compare with the plain profile.
    let base = plain;
    try {
      if (extra) base = parseProfile(yamlWith(extra), 'p.yaml', {}, '/work');
    } catch {
      base = plain;
    }
    const text = yamlWith([dotted, otherValue[dotted as ProfilePath]], ...(extra ? [extra] : []));
    const p = parseProfile(text, 'p.yaml', {}, '/work');
    assert.notDeepEqual(
      { ...p, sourcePath: '' },
      { ...base, sourcePath: '' },
      `${dotted}: setting it changed nothing\n${text}`,
    );
  }
});

test('each data-plane flag default is the profile default, and each profile path exists', () => {
  const p = parseProfile('model:\n  name: cnn-lstm\n', 'p.yaml', {}, '/work');
  const leaves = new Set(leafPaths(profileTree));
  const fromProfile: Array<
    [string, Record<string, unknown>, Record<string, unknown>, Record<string, { profilePath?: string }>]
  > = [
    [
      'replica',
      { ...replicaSettings(p, { modelVersion: 1, registry: '/r' }) },
      defaultsOf(replicaSettingsTable),
      replicaSettingsTable,
    ],
    ['gateway', { ...gatewaySettings(p) }, defaultsOf(gatewaySettingsTable), gatewaySettingsTable],
  ];
  let checked = 0;
  for (const [plane, derived, defaults, table] of fromProfile) {
    for (const [name, spec] of Object.entries(table)) {
      if (spec.profilePath === undefined) continue;
      assert.ok(leaves.has(spec.profilePath), `${plane}.${name}: profile path ${spec.profilePath} is not a leaf`);
      assert.equal(
        derived[name],
        defaults[name],
        `${plane}.${name}: the profile's default (${String(derived[name])}) differs from the flag's (${String(defaults[name])})`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 12, `checked ${checked} settings`);
});

test('a profile value reaches the child settings under the setting name', () => {
  const p = parseProfile(
    'model:\n  name: cnn-lstm\nbatching:\n  batch_wait_timeout: 4ms\nruntime:\n  device: cpu\ngateway:\n  eject_for: 20s\ndrain_timeout: 3s\n',
    'p.yaml',
    {},
    '/work',
  );
  const r = replicaSettings(p, { modelVersion: 2, registry: '/r' });
  assert.equal(r.batchWaitMs, 4);
  assert.equal(r.device, 'cpu');
  assert.equal(r.drainTimeoutMs, 3000);
  assert.equal(r.model, 'cnn-lstm@2');
  const g = gatewaySettings(p, 8123);
  assert.equal(g.ejectForMs, 20_000);
  assert.equal(g.port, 8123);
  assert.equal(g.drainTimeoutMs, 3000);
});
