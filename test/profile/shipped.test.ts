// The shipped profiles load with the platform's numbers, and the published JSON Schema is current.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadProfile, listProfiles } from '../../src/profile/load.js';
import { profileJsonSchemaText } from '../../src/profile/json-schema.js';
import { repoRoot } from '../helpers/paths.js';

const cwd = '/work-elsewhere';
const env = {};

test('market-hours carries the platform numbers', async () => {
  const p = await loadProfile('market-hours', { cwd, env });
  assert.equal(p.name, 'market-hours');
  assert.equal(p.sourcePath, path.join(repoRoot, 'profiles', 'market-hours.yaml'));
  assert.deepEqual(p.model, { name: 'cnn-lstm', version: 'latest', registry: path.join(cwd, 'models') });
  assert.deepEqual(p.replicas, { min: 5, max: 30, initial: 5 });
  assert.deepEqual(p.autoscaling, {
    enabled: true,
    targetOngoingRequests: 3,
    upscaleDelayMs: 15_000,
    downscaleDelayMs: 120_000,
    metricsIntervalMs: 1000,
    lookbackMs: 10_000,
    latencyGuard: true,
  });
  assert.deepEqual(p.resources, { cpus: 2, gpus: 0.5, memoryBytes: 2e9 });
  assert.deepEqual(p.batching, { maxBatchSize: 32, batchWaitMs: 10, mode: 'adaptive', maxQueuedRequests: 256 });
  assert.deepEqual(p.slo, {
    p50Ms: 50,
    p95Ms: 80,
    p99Ms: 100,
    maxMs: 200,
    errorRate: 0.01,
    targetRps: 200,
    minRps: 50,
  });
  assert.deepEqual(p.health, { periodMs: 500, timeoutMs: 200, failureThreshold: 3, startupTimeoutMs: 30_000 });
  assert.deepEqual(p.restart, {
    initialBackoffMs: 100,
    backoffMultiplier: 1.5,
    maxBackoffMs: 15_000,
    resetAfterMs: 30_000,
    crashLoopFailures: 5,
    crashLoopWindowMs: 10_000,
    failedRetryMs: 300_000,
  });
  assert.deepEqual(p.gateway, {
    host: '127.0.0.1',
    port: 8000,
    maxQueuedRequests: 1024,
    requestTimeoutMs: 1000,
    ejectAfterFailures: 5,
    ejectForMs: 10_000,
    tryTimeoutMinMs: 100,
    replicaTransport: 'frames',
    keepConnections: true,
  });
  assert.equal(p.drainTimeoutMs, 10_000);
  assert.deepEqual(p.local, {});
});

test('off-hours differs from market-hours only in replicas and autoscaling', async () => {
  const off = await loadProfile('off-hours', { cwd, env });
  const market = await loadProfile('market-hours', { cwd, env });
  assert.deepEqual(off.replicas, { min: 2, max: 10, initial: 2 });
  assert.equal(off.autoscaling.targetOngoingRequests, 10);
  assert.equal(off.autoscaling.upscaleDelayMs, 60_000);
  assert.equal(off.autoscaling.downscaleDelayMs, 300_000);
  const strip = (p: typeof off) => ({ ...p, name: '', sourcePath: '', replicas: null, autoscaling: null });
  assert.deepEqual(strip(off), strip(market));
});

test('local fits a 2-core laptop', async () => {
  const p = await loadProfile('local', { cwd, env });
  assert.ok(p.replicas.max * p.resources.cpus <= 2, 'replicas at max must fit 2 CPUs');
  assert.ok(p.replicas.max * p.resources.memoryBytes <= 2 * 1024 ** 3);
  assert.equal(p.resources.gpus, 0);
  assert.equal(p.runtime.device, 'cpu');
  assert.equal(p.model.registry, path.join(cwd, 'models'));
  assert.equal(p.gateway.port, 8000);
  assert.equal(p.slo.p99Ms, 100);
});

test('host-specific values come from the environment in the shipped profiles', async () => {
  const p = await loadProfile('local', { cwd, env: { SERVE_PORT: '0', SERVE_MODELS: '/srv/models' } });
  assert.equal(p.gateway.port, 0, 'an unquoted ${SERVE_PORT} becomes a number');
  assert.equal(p.model.registry, '/srv/models');
});

test('the shipped profiles are listed and point editors at the schema', async () => {
  const shipped = (await listProfiles(cwd)).filter((e) => e.shipped).map((e) => e.name);
  assert.deepEqual(shipped, ['local', 'market-hours', 'off-hours', 'trading-day']);
  // trading-day is a schedule, which the profile schema does not describe.
  for (const name of shipped.filter((n) => n !== 'trading-day')) {
    const text = await readFile(path.join(repoRoot, 'profiles', `${name}.yaml`), 'utf8');
    assert.match(text.split('\n')[0]!, /^# yaml-language-server: \$schema=\.\/profile\.schema\.json$/);
  }
});

test('profiles/profile.schema.json is generated from the current schema', async () => {
  const file = path.join(repoRoot, 'profiles', 'profile.schema.json');
  const onDisk = await readFile(file, 'utf8');
  assert.equal(
    onDisk,
    profileJsonSchemaText(),
    'regenerate it: node dist/src/cli/main.js validate --schema > profiles/profile.schema.json',
  );
  const schema = JSON.parse(onDisk) as {
    properties: Record<string, { properties?: Record<string, { default?: unknown }> }>;
    required?: string[];
  };
  assert.equal(schema.properties.health!.properties!.period!.default, '500ms');
  assert.deepEqual(Object.keys(schema.properties).sort(), [
    'autoscaling',
    'batching',
    'cache',
    'controller',
    'cost',
    'drain_timeout',
    'env',
    'gateway',
    'health',
    'hosts',
    'local',
    'model',
    'name',
    'replicas',
    'resources',
    'restart',
    'rollout',
    'runtime',
    'slo',
    'ssh',
    'tune',
  ]);
});
