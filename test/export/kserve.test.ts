// The KServe InferenceService (and the KEDA ScaledObject of a schedule) of every shipped profile,
// validated against KServe's and KEDA's CRD schemas; the values equal the profiles' (round trip).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { STORAGE_URI_PLACEHOLDER } from '../../src/export/kserve.js';
import { parseMemoryQuantity } from '../../src/export/quantities.js';
import type { Profile } from '../../src/profile/types.js';
import { crdValidator, show } from './k8s-validate.js';
import { SHIPPED, makeFixture, plan, yamlOf, type Fixture } from './fixtures.js';

const isvcErrors = crdValidator('kserve-inferenceservice-v1beta1.json');
const scaledObjectErrors = crdValidator('keda-scaledobject-v1alpha1.json');
let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => {
  await f.cleanup();
});

type Obj = Record<string, any>;

test('the strict validators refuse a misspelt field and a wrong type', () => {
  const isvc = yamlOf(plan(f, 'market-hours', 'kserve'), 'inferenceservice.yaml') as Obj;
  isvc.spec.predictor.minReplica = 3;
  isvc.spec.predictor.maxReplicas = '30';
  assert.match(show(isvcErrors(isvc)), /minReplica/);
  assert.match(show(isvcErrors(isvc)), /maxReplicas: must be integer/);
  const so = yamlOf(plan(f, 'trading-day', 'kserve'), 'scaledobject.yaml') as Obj;
  so.spec.minReplicas = 1;
  assert.match(show(scaledObjectErrors(so)), /minReplicas/);
});

for (const name of SHIPPED) {
  test(`${name} --to kserve: the InferenceService is valid for KServe's CRD${name === 'trading-day' ? ", the ScaledObject for KEDA's" : ''}`, () => {
    const p = plan(f, name, 'kserve', 's3://models/cnn-lstm');
    const isvc = yamlOf(p, 'inferenceservice.yaml') as Obj;
    assert.equal(show(isvcErrors(isvc)), '');
    assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
    assert.equal(isvc.spec.predictor.model.protocolVersion, 'v2');
    assert.equal(isvc.spec.predictor.model.runtime, 'kserve-tritonserver');
    assert.equal(isvc.spec.predictor.model.storageUri, 's3://models/cnn-lstm');
    assert.equal(
      p.files.some((x) => x.path === 'scaledobject.yaml'),
      name === 'trading-day',
    );
    if (name === 'trading-day') assert.equal(show(scaledObjectErrors(yamlOf(p, 'scaledobject.yaml'))), '');
  });
}

function checkResources(isvc: Obj, p: Profile) {
  for (const side of ['requests', 'limits']) {
    const r = isvc.spec.predictor.model.resources[side];
    assert.equal(Number(r.cpu), p.resources.cpus);
    assert.equal(parseMemoryQuantity(r.memory), p.resources.memoryBytes);
    assert.equal(r['nvidia.com/gpu'], p.resources.gpus > 0 ? String(Math.ceil(p.resources.gpus)) : undefined);
  }
}

for (const name of ['market-hours', 'off-hours'] as const) {
  test(`${name}: replica bounds, target, delays, window, resources and probes round-trip into the InferenceService`, () => {
    const p = f.loaded[name].profile!;
    const isvc = yamlOf(plan(f, name, 'kserve'), 'inferenceservice.yaml') as Obj;
    const pred = isvc.spec.predictor;
    assert.equal(pred.minReplicas, p.replicas.min);
    assert.equal(pred.maxReplicas, p.replicas.max);
    assert.equal(pred.scaleMetric, 'concurrency');
    assert.equal(pred.scaleTarget, p.autoscaling.targetOngoingRequests);
    const a = isvc.metadata.annotations;
    assert.equal(a['serving.kserve.io/deploymentMode'], 'Serverless');
    assert.equal(a['autoscaling.knative.dev/initial-scale'], String(p.replicas.initial));
    assert.equal(a['autoscaling.knative.dev/window'], `${p.autoscaling.lookbackMs / 1000}s`);
    assert.equal(a['autoscaling.knative.dev/scale-down-delay'], `${p.autoscaling.downscaleDelayMs / 1000}s`);
    assert.equal(a['autoscaling.knative.dev/target-utilization-percentage'], '100');
    assert.equal(pred.timeout, p.gateway.requestTimeoutMs / 1000);
    assert.equal(pred.terminationGracePeriodSeconds, p.drainTimeoutMs / 1000);
    assert.equal(pred.model.readinessProbe.failureThreshold, p.health.failureThreshold);
    assert.equal(
      pred.model.startupProbe.failureThreshold * pred.model.startupProbe.periodSeconds * 1000,
      p.health.startupTimeoutMs,
    );
    checkResources(isvc, p);
  });
}

test("trading-day: the ScaledObject holds off-hours' floor, market-hours' floor from the prewarm to the close, and the busier scaling values", () => {
  const s = f.loaded['trading-day'].schedule!;
  const mh = s.profiles['market-hours']!;
  const oh = s.profiles['off-hours']!;
  const p = plan(f, 'trading-day', 'kserve');
  const so = yamlOf(p, 'scaledobject.yaml') as Obj;
  const isvc = yamlOf(p, 'inferenceservice.yaml') as Obj;
  assert.equal(so.spec.scaleTargetRef.name, `${isvc.metadata.name}-predictor`);
  assert.equal(so.spec.minReplicaCount, oh.replicas.min);
  assert.equal(so.spec.maxReplicaCount, Math.max(mh.replicas.max, oh.replicas.max));
  assert.equal(isvc.spec.predictor.minReplicas, oh.replicas.min);
  assert.equal(isvc.metadata.annotations['serving.kserve.io/autoscalerClass'], 'external');
  const [cron, prom] = so.spec.triggers;
  assert.equal(so.spec.triggers.length, 2);
  assert.deepEqual(
    { type: cron.type, ...cron.metadata },
    {
      type: 'cron',
      timezone: 'America/New_York',
      start: '25 9 * * 1-5',
      end: '0 16 * * 1-5',
      desiredReplicas: String(mh.replicas.min),
    },
  );
  assert.equal(prom.type, 'prometheus');
  assert.equal(
    Number(prom.metadata.threshold),
    Math.min(mh.autoscaling.targetOngoingRequests, oh.autoscaling.targetOngoingRequests),
  );
  assert.match(prom.metadata.query, new RegExp(`\\[${mh.autoscaling.lookbackMs / 1000}s\\]`));
  const behavior = so.spec.advanced.horizontalPodAutoscalerConfig.behavior;
  assert.equal(
    behavior.scaleUp.stabilizationWindowSeconds,
    Math.min(mh.autoscaling.upscaleDelayMs, oh.autoscaling.upscaleDelayMs) / 1000,
  );
  assert.equal(
    behavior.scaleDown.stabilizationWindowSeconds,
    Math.max(mh.autoscaling.downscaleDelayMs, oh.autoscaling.downscaleDelayMs) / 1000,
  );
  checkResources(isvc, mh);
  const fields = p.warnings.map((w) => w.field);
  for (const expected of [
    'schedule.closed_dates',
    'schedule.early_close',
    'autoscaling.target_ongoing_requests',
    'replicas.max',
    '--storage-uri',
    'resources.gpus',
  ]) {
    assert.ok(
      fields.some((x) => x.split(', ').includes(expected)),
      `no warning for ${expected}: ${fields.join(' | ')}`,
    );
  }
});

test('without --storage-uri the storageUri is a placeholder, with a warning saying what to upload', () => {
  const p = plan(f, 'local', 'kserve');
  assert.equal((yamlOf(p, 'inferenceservice.yaml') as Obj).spec.predictor.model.storageUri, STORAGE_URI_PLACEHOLDER);
  assert.match(p.warnings.find((w) => w.field === '--storage-uri')!.message, /model-repository\//);
  assert.equal(
    plan(f, 'local', 'kserve', 's3://b/m').warnings.some((w) => w.field === '--storage-uri'),
    false,
  );
});

test('a 0.5 GPU share becomes one whole GPU with a warning about time-slicing or MPS; a CPU profile asks for none', () => {
  const w = plan(f, 'market-hours', 'kserve').warnings.find((x) => x.field === 'resources.gpus');
  assert.match(w!.message, /time-slicing .* or MPS/);
  const local = yamlOf(plan(f, 'local', 'kserve'), 'inferenceservice.yaml') as Obj;
  assert.equal(local.spec.predictor.model.resources.limits['nvidia.com/gpu'], undefined);
});

test('autoscaling off: minReplicas = maxReplicas = replicas.initial', async () => {
  const { planExport } = await import('../../src/export/plan.js');
  const base = f.loaded['market-hours'].profile!;
  const profile = { ...base, autoscaling: { ...base.autoscaling, enabled: false } };
  const isvc = yamlOf(
    planExport({ ref: 'fixed', profile, model: f.model, serveVersion: '0.1.0' }, 'kserve'),
    'inferenceservice.yaml',
  ) as Obj;
  assert.equal(isvc.spec.predictor.minReplicas, base.replicas.initial);
  assert.equal(isvc.spec.predictor.maxReplicas, base.replicas.initial);
  assert.equal(show(isvcErrors(isvc)), '');
});
