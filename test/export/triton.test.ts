// The Triton model repository of every shipped profile, read back as protobuf text and checked
// against Triton's own model_config.proto; the values equal the profile's (round trip).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Profile } from '../../src/profile/types.js';
import { repoRoot } from '../helpers/paths.js';
import { SHIPPED, makeFixture, plan, text, type Fixture } from './fixtures.js';
import { checkMessage, parsePbtxt, tritonModelConfigType, valueAt, type TextField } from './pbtxt-parse.js';

const CONFIG = 'model-repository/cnn-lstm/config.pbtxt';
const modelConfig = tritonModelConfigType(
  readFileSync(path.join(repoRoot, 'test/export/schemas/triton-model_config.proto'), 'utf8'),
);
let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => {
  await f.cleanup();
});

test('the checker finds a misspelt field, a bad enum value and a wrong kind of value', () => {
  const problems = checkMessage(
    parsePbtxt(
      'name: "m"\nmax_batch: 3\ninstance_group { kind: KIND_TPU count: "2" }\nmax_batch_size: 4\nmax_batch_size: 5\n',
    ),
    modelConfig,
  );
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems.join('\n'), /max_batch: no such field/);
  assert.match(problems.join('\n'), /instance_group\.kind: not a value of enum Kind/);
  assert.match(problems.join('\n'), /instance_group\.count: int32 needs a number/);
  assert.match(problems.join('\n'), /max_batch_size: written 2 times but not repeated/);
});

for (const name of SHIPPED) {
  for (const target of ['triton', 'kserve'] as const) {
    test(`${name} --to ${target}: config.pbtxt is a valid inference.ModelConfig`, () => {
      const fields = parsePbtxt(text(plan(f, name, target), CONFIG));
      assert.deepEqual(checkMessage(fields, modelConfig), []);
      assert.equal(valueAt(fields, 'platform'), 'onnxruntime_onnx');
      assert.equal(valueAt(fields, 'name'), 'cnn-lstm');
    });
  }
}

/** The profile whose fixed settings a server gets: the profile, or a schedule's busiest one. */
function served(name: (typeof SHIPPED)[number]): Profile {
  const l = f.loaded[name];
  return l.profile ?? l.schedule!.profiles['market-hours']!;
}

function instanceGroup(fields: TextField[]) {
  const g = valueAt(fields, 'instance_group') as TextField[];
  return { count: Number(valueAt(g, 'count')), kind: valueAt(g, 'kind') };
}

for (const name of ['market-hours', 'off-hours', 'trading-day', 'local'] as const) {
  test(`${name}: batching, queue, timeout, threads and instances round-trip into config.pbtxt`, () => {
    const p = served(name);
    for (const target of ['triton', 'kserve'] as const) {
      const fields = parsePbtxt(text(plan(f, name, target), CONFIG));
      assert.equal(Number(valueAt(fields, 'max_batch_size')), p.batching.maxBatchSize);
      assert.equal(
        Number(valueAt(fields, 'dynamic_batching.max_queue_delay_microseconds')),
        p.batching.batchWaitMs * 1000,
      );
      assert.equal(
        Number(valueAt(fields, 'dynamic_batching.default_queue_policy.max_queue_size')),
        p.batching.maxQueuedRequests,
      );
      assert.equal(
        Number(valueAt(fields, 'dynamic_batching.default_queue_policy.default_timeout_microseconds')),
        p.gateway.requestTimeoutMs * 1000,
      );
      assert.equal(Number(valueAt(fields, 'dynamic_batching.priority_levels')), 10);
      const params = Object.fromEntries(
        fields
          .filter((x) => x.name === 'parameters')
          .map((x) => {
            const entry = (x.values[0] as { fields: TextField[] }).fields;
            return [valueAt(entry, 'key'), valueAt(entry, 'value.string_value')];
          }),
      );
      assert.equal(Number(params.intra_op_thread_count), p.runtime.threads);
      const g = instanceGroup(fields);
      const gpu = p.resources.gpus > 0 && p.runtime.device !== 'cpu';
      assert.equal(g.kind, gpu ? 'KIND_GPU' : 'KIND_CPU');
      // KServe scales pods of one instance; a standalone server runs replicas.initial CPU instances or 1/gpus per GPU.
      const expected = target === 'kserve' ? 1 : gpu ? Math.round(1 / p.resources.gpus) : p.replicas.initial;
      assert.equal(g.count, expected);
    }
  });
}

test("the inputs and outputs are the model's without the batch dimension", () => {
  const fields = parsePbtxt(text(plan(f, 'market-hours', 'triton'), CONFIG));
  const input = valueAt(fields, 'input') as TextField[];
  assert.equal(valueAt(input, 'name'), f.model.spec.inputs[0]!.name);
  assert.deepEqual(
    input.find((x) => x.name === 'dims')!.values.map((v) => Number((v as { text: string }).text)),
    f.model.spec.inputs[0]!.shape.slice(1),
  );
  assert.equal(valueAt(input, 'data_type'), 'TYPE_FP32');
});

test('the repository holds model.onnx in the version folder and not model.yaml', () => {
  const files = plan(f, 'market-hours', 'triton').files;
  assert.deepEqual(files.map((x) => x.path).sort(), [CONFIG, 'model-repository/cnn-lstm/1/model.onnx'].sort());
  const onnx = files.find((x) => x.path.endsWith('model.onnx'))!;
  assert.ok('copyFrom' in onnx && onnx.copyFrom === f.model.onnxPath);
});

test('what does not carry over to Triton is a warning naming the field', () => {
  const fields = new Set(plan(f, 'market-hours', 'triton').warnings.flatMap((w) => w.field.split(', ')));
  for (const expected of [
    'autoscaling.latency_guard',
    'replicas.min',
    'model.yaml preprocessing.normalize',
    'x-serve-priority (request header)',
    'drain_timeout',
    'gateway.max_queued_requests',
  ]) {
    assert.ok(fields.has(expected), `no warning for ${expected}: ${[...fields].join(' | ')}`);
  }
  const schedule = plan(f, 'trading-day', 'triton').warnings.find((w) => w.field === 'schedule');
  assert.match(schedule!.message, /configured as market-hours/);
});
