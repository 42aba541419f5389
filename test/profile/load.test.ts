// Finding profiles by name or path, defaults, and where relative paths are resolved from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/common/errors.js';
import { defaultProfile } from '../../src/profile/defaults.js';
import { loadProfile } from '../../src/profile/load.js';
import { parseProfile } from '../../src/profile/parse.js';
import { ProfileError } from '../../src/profile/problems.js';
import { base } from './helpers.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-profile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a name in ./profiles shadows the shipped profile of that name', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'profiles'));
  await writeFile(path.join(dir, 'profiles', 'local.yaml'), `${base}replicas: { min: 3, max: 3 }\n`);
  const p = await loadProfile('local', { cwd: dir, env: {} });
  assert.equal(p.name, 'local', 'name defaults to the file name');
  assert.equal(p.replicas.min, 3);
  assert.equal(p.sourcePath, path.join(dir, 'profiles', 'local.yaml'));
});

test('a path is read relative to cwd; problems name the file as given', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'conf'));
  await writeFile(path.join(dir, 'conf', 'x.yml'), `${base}replicas:\n  min: -1\n`);
  await assert.rejects(loadProfile('conf/x.yml', { cwd: dir, env: {} }), (err: unknown) => {
    assert.ok(err instanceof ProfileError);
    assert.deepEqual(err.details, ['conf/x.yml:4:8 replicas.min: got -1, expected an integer from 0 to 1024']);
    return true;
  });
});

test('an unknown name lists the available profiles with a suggestion', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(loadProfile('market-hour', { cwd: dir }), (err: unknown) => {
    assert.ok(err instanceof UserError && !(err instanceof ProfileError));
    assert.equal(err.exitCode, 2);
    assert.match(
      err.message,
      /^unknown profile "market-hour": .*Did you mean "market-hours"\? Available: local, market-hours, off-hours, trading-day;/,
    );
    return true;
  });
});

test('a missing file says so in one line', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    loadProfile('./nope.yaml', { cwd: dir }),
    /^UserError: profile file nope\.yaml does not exist: give the path of a \.yaml file/,
  );
});

test('a minimal profile gets every documented default', () => {
  const p = parseProfile(base, '/etc/serve/mini.yaml', {}, '/home/u/app');
  assert.equal(p.name, 'mini');
  assert.deepEqual(p.model, { name: 'cnn-lstm', version: 'latest', registry: '/home/u/app/models' });
  assert.deepEqual(p.replicas, { min: 1, max: 1, initial: 1 });
  assert.deepEqual(p.resources, { cpus: 1, gpus: 0, memoryBytes: 1024 ** 3 });
  assert.deepEqual(p.batching, { maxBatchSize: 32, batchWaitMs: 10, mode: 'adaptive', maxQueuedRequests: 256 });
  assert.deepEqual(p.runtime, { device: 'auto', threads: 1 });
  assert.deepEqual(p.slo, { p50Ms: 50, p95Ms: 80, p99Ms: 100, maxMs: 200, errorRate: 0.01 });
  assert.equal(p.gateway.port, 8000);
  assert.equal(p.drainTimeoutMs, 10_000);
});

test('derived defaults: initial follows min, max follows the larger of min and initial', () => {
  assert.deepEqual(parseProfile(`${base}replicas: { min: 3 }\n`, '', {}, '/').replicas, { min: 3, initial: 3, max: 3 });
  assert.deepEqual(parseProfile(`${base}replicas: { min: 1, initial: 4 }\n`, '', {}, '/').replicas, {
    min: 1,
    initial: 4,
    max: 4,
  });
});

test('a written slo section gates only what it names', () => {
  assert.deepEqual(parseProfile(`${base}slo:\n  p99: 40ms\n`, '', {}, '/').slo, { p99Ms: 40 });
});

test('model.registry: ~ is home, ${PROFILE_DIR} is the profile folder, absolute stays', () => {
  assert.equal(parseProfile(`${base}  registry: ~/m\n`, '', {}, '/x').model.registry, path.join(os.homedir(), 'm'));
  assert.equal(
    parseProfile(`${base}  registry: \${PROFILE_DIR}/../models\n`, '/a/b/profiles/p.yaml', {}, '/x').model.registry,
    '/a/b/models',
  );
  assert.equal(parseProfile(`${base}  registry: /srv/models\n`, '', {}, '/x').model.registry, '/srv/models');
});

test('units: sizes and durations normalize to bytes and milliseconds', () => {
  const p = parseProfile(
    `${base}resources: { memory: 512MiB }\nhealth: { period: 1.5s, timeout: 250us }\nslo: { error_rate: 0.5% }\n`,
    '',
    {},
    '/',
  );
  assert.equal(p.resources.memoryBytes, 512 * 1024 ** 2);
  assert.equal(p.health.periodMs, 1500);
  assert.equal(p.health.timeoutMs, 0.25);
  assert.equal(p.slo.errorRate, 0.005);
});

test('defaultProfile merges overrides into the defaults', () => {
  const p = defaultProfile({ replicas: { min: 2, max: 4 }, gateway: { port: 0 } }, '/app');
  assert.deepEqual(p.replicas, { min: 2, max: 4, initial: 1 });
  assert.equal(p.gateway.port, 0);
  assert.equal(p.gateway.host, '127.0.0.1');
  assert.equal(p.model.registry, '/app/models');
});
