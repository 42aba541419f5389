// The Ray Serve export of every shipped profile: each config is valid for Ray Serve's config schema
// (vendored as JSON Schema) and its cross-field rules, the module compiles with python3, and the
// values equal the profile's (round trip), a schedule's in one config per profile.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RAY_MODULE_FILE } from '../../src/export/ray-module.js';
import type { Profile } from '../../src/profile/types.js';
import { repoRoot } from '../helpers/paths.js';
import { needTool } from '../helpers/tools.js';
import { ajvValidator, show } from './k8s-validate.js';
import { SHIPPED, makeFixture, plan, text, yamlOf, type Fixture } from './fixtures.js';

type Obj = Record<string, any>;

const schemaErrors = ajvValidator(
  JSON.parse(readFileSync(path.join(repoRoot, 'test/export/schemas/ray-serve-config.schema.json'), 'utf8')),
);
let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => {
  await f.cleanup();
});

/** Ray's cross-field validators (AutoscalingConfig.replicas_settings_valid, DeploymentSchema's num_replicas rule). */
function rayRules(config: Obj): string[] {
  const problems: string[] = [];
  for (const app of config.applications) {
    for (const d of app.deployments ?? []) {
      const a = d.autoscaling_config;
      if (a && Number.isInteger(d.num_replicas)) problems.push(`${d.name}: num_replicas with autoscaling_config`);
      if (a && a.max_replicas < (a.min_replicas ?? 1)) problems.push(`${d.name}: max_replicas < min_replicas`);
      if (
        a &&
        a.initial_replicas !== undefined &&
        (a.initial_replicas < a.min_replicas || a.initial_replicas > a.max_replicas)
      )
        problems.push(`${d.name}: initial_replicas outside min..max`);
    }
  }
  return problems;
}

const configs = (name: (typeof SHIPPED)[number]) =>
  name === 'trading-day' ? ['serve-config-off-hours.yaml', 'serve-config-market-hours.yaml'] : ['serve-config.yaml'];

test('the schema refuses a misspelt field and a replica count below one', () => {
  const c = yamlOf(plan(f, 'market-hours', 'ray'), 'serve-config.yaml') as Obj;
  c.applications[0].deployments[0].autoscaling_config.target_ongoing_request = 3;
  c.applications[0].deployments[0].autoscaling_config.max_replicas = 0;
  const shown = show(schemaErrors(c));
  assert.match(shown, /target_ongoing_request\)/);
  assert.match(shown, /max_replicas: must be >= 1/);
});

for (const name of SHIPPED) {
  test(`${name} --to ray: every config is valid for Ray Serve's config schema and rules`, () => {
    const p = plan(f, name, 'ray');
    for (const file of configs(name)) {
      const c = yamlOf(p, file) as Obj;
      assert.equal(show(schemaErrors(c)), '', file);
      assert.deepEqual(rayRules(c), [], file);
      assert.equal(c.applications[0].import_path, 'serve_oip:app');
    }
    assert.ok(p.files.some((x) => x.path === 'models/cnn-lstm/1/model.onnx'));
  });
}

function checkRoundTrip(c: Obj, p: Profile) {
  const d = c.applications[0].deployments[0];
  assert.deepEqual(d.autoscaling_config, {
    min_replicas: p.replicas.min,
    initial_replicas: p.replicas.initial,
    max_replicas: p.replicas.max,
    target_ongoing_requests: p.autoscaling.targetOngoingRequests,
    upscale_delay_s: p.autoscaling.upscaleDelayMs / 1000,
    downscale_delay_s: p.autoscaling.downscaleDelayMs / 1000,
    look_back_period_s: p.autoscaling.lookbackMs / 1000,
  });
  assert.deepEqual(d.ray_actor_options, {
    num_cpus: p.resources.cpus,
    num_gpus: p.resources.gpus,
    memory: p.resources.memoryBytes,
  });
  assert.deepEqual(d.user_config, {
    max_batch_size: p.batching.maxBatchSize,
    batch_wait_timeout_s: p.batching.batchWaitMs / 1000,
  });
  assert.equal(d.max_queued_requests, p.gateway.maxQueuedRequests);
  assert.equal(d.max_ongoing_requests, Math.min(64, p.batching.maxQueuedRequests));
  assert.equal(d.graceful_shutdown_timeout_s, p.drainTimeoutMs / 1000);
  assert.equal(d.health_check_period_s, p.health.periodMs / 1000);
  assert.equal(c.http_options.request_timeout_s, p.gateway.requestTimeoutMs / 1000);
}

for (const name of ['market-hours', 'off-hours'] as const) {
  test(`${name}: replica bounds, delays, look-back, batching and resources round-trip into the Ray config (num_gpus 0.5 on any host)`, () => {
    checkRoundTrip(yamlOf(plan(f, name, 'ray'), 'serve-config.yaml') as Obj, f.loaded[name].profile!);
  });
}

test("trading-day: one config per profile with that profile's values, and the cron lines that switch them", () => {
  const s = f.loaded['trading-day'].schedule!;
  const p = plan(f, 'trading-day', 'ray');
  for (const name of ['market-hours', 'off-hours'])
    checkRoundTrip(yamlOf(p, `serve-config-${name}.yaml`) as Obj, s.profiles[name]!);
  const w = p.warnings.find((x) => x.field === 'schedule')!;
  assert.match(
    w.message,
    /25 9 \* \* 1-5 serve deploy serve-config-market-hours\.yaml; 0 16 \* \* 1-5 serve deploy serve-config-off-hours\.yaml/,
  );
  assert.ok(p.warnings.some((x) => x.field === 'schedule.closed_dates'));
});

test("the module's constants are the model's and the profile's", () => {
  const p = f.loaded['market-hours'].profile!;
  const py = text(plan(f, 'market-hours', 'ray'), RAY_MODULE_FILE);
  const constant = (name: string) => new RegExp(`^${name} = (.*)$`, 'm').exec(py)?.[1];
  assert.equal(constant('MAX_BATCH_SIZE'), String(p.batching.maxBatchSize));
  assert.equal(Number(constant('BATCH_WAIT_TIMEOUT_S')), p.batching.batchWaitMs / 1000);
  assert.equal(constant('THREADS'), String(p.runtime.threads));
  assert.equal(constant('DEVICE'), JSON.stringify(p.runtime.device));
  assert.deepEqual(JSON.parse(constant('INPUTS')!), f.model.spec.inputs);
  assert.deepEqual(JSON.parse(constant('NORMALIZE')!), f.model.spec.preprocessing!.normalize);
  for (const route of [
    '/v2/health/live',
    '/v2/health/ready',
    '/v2/repository/index',
    '/v2/models/{name}',
    '/v2/models/{name}/infer',
    '/v2/models/{name}/versions/{version}/infer',
  ]) {
    assert.ok(py.includes(`"${route}"`), `no route ${route}`);
  }
  assert.match(py, /@serve\.batch\(max_batch_size=MAX_BATCH_SIZE, batch_wait_timeout_s=BATCH_WAIT_TIMEOUT_S\)/);
});

test('every module compiles with python3 -m py_compile', async (t) => {
  if (!needTool(t, 'python3', 'python3')) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-export-py-'));
  try {
    for (const name of SHIPPED) {
      const file = path.join(dir, `${name.replace(/-/g, '_')}_${RAY_MODULE_FILE}`);
      await writeFile(file, text(plan(f, name, 'ray'), RAY_MODULE_FILE));
      const r = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    }
    // A module with a syntax error does not compile: the check is real.
    const broken = path.join(dir, 'broken.py');
    await writeFile(
      broken,
      (await readFile(path.join(dir, `market_hours_${RAY_MODULE_FILE}`), 'utf8')).replace(
        'class OipModel:',
        'class OipModel',
      ),
    );
    assert.notEqual(spawnSync('python3', ['-m', 'py_compile', broken], { timeout: 30_000 }).status, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('autoscaling off: a fixed num_replicas = replicas.initial and no autoscaling_config', async () => {
  const { planExport } = await import('../../src/export/plan.js');
  const base = f.loaded['local'].profile!;
  const profile = { ...base, autoscaling: { ...base.autoscaling, enabled: false } };
  const p = planExport({ ref: 'fixed', profile, model: f.model, serveVersion: '0.1.0' }, 'ray');
  const c = yamlOf(p, 'serve-config.yaml') as Obj;
  const d = c.applications[0].deployments[0];
  assert.equal(d.num_replicas, base.replicas.initial);
  assert.equal(d.autoscaling_config, undefined);
  assert.equal(show(schemaErrors(c)), '');
  assert.deepEqual(rayRules(c), []);
});
