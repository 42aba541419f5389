// The demo CNN+LSTM: ONNX Runtime's output equals an independent TypeScript forward pass of the same
// weights, and building is deterministic (model plane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildDemoModel, type DemoOptions } from '../../src/model/demo.js';
import { seededRandom as mulberry32 } from '../../src/common/random.js';
import { referenceForward } from './reference-forward.js';

const TOLERANCE = 1e-4;

/** Seeded inputs roughly like normalized market features (mean 0, spread about 1). */
function randomInput(seed: number, count: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (rand() + rand() + rand() - 1.5) * 2);
}

async function compareWithReference(opts: DemoOptions, batches: number[]): Promise<void> {
  const built = buildDemoModel(opts);
  const { window: T, features: F } = built.weights.shape;
  const session = await ort.InferenceSession.create(built.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    for (const batch of batches) {
      const x = randomInput(1000 + batch, batch * T * F);
      const result = await session.run({ x: new ort.Tensor('float32', x, [batch, T, F]) });
      const probs = result.probs!;
      assert.deepEqual(probs.dims, [batch, 3]);
      const got = probs.data as Float32Array;
      const want = referenceForward(built.weights, x, batch);
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      assert.ok(maxDiff < TOLERANCE, `batch ${batch}: max |ORT - reference| = ${maxDiff}`);
      for (let n = 0; n < batch; n++) {
        const row = Array.from(got.subarray(n * 3, n * 3 + 3));
        assert.ok(Math.abs(row[0]! + row[1]! + row[2]! - 1) < 1e-5, `row ${n} sums to 1`);
        // Not saturated: no class near certainty for random inputs.
        assert.ok(
          row.every((p) => p > 0.01 && p < 0.99),
          `row ${n} not saturated: ${row.join(', ')}`,
        );
      }
      if (batch > 1) {
        // Rows must differ, or a model ignoring its input would pass the comparison.
        const firstCol = Array.from({ length: batch }, (_, n) => got[n * 3]!);
        assert.ok(Math.max(...firstCol) - Math.min(...firstCol) > 1e-3, `batch ${batch}: outputs vary with the input`);
      }
    }
  } finally {
    await session.release();
  }
}

test('demo model: ORT matches the reference forward pass for batch 1, 3, 8, 32', async () => {
  await compareWithReference({}, [1, 3, 8, 32]);
});

test('bigger variant (2 LSTM layers, other sizes): ORT matches the reference', async () => {
  await compareWithReference({ layers: 2, channels: 24, hidden: 40, window: 20, features: 7 }, [1, 5]);
});

test('two builds give identical bytes; a different seed or shape gives different bytes', () => {
  const a = buildDemoModel();
  const b = buildDemoModel();
  assert.equal(Buffer.compare(Buffer.from(a.onnx), Buffer.from(b.onnx)), 0);
  assert.equal(a.yaml, b.yaml);
  assert.notEqual(Buffer.compare(Buffer.from(a.onnx), Buffer.from(buildDemoModel({ seed: 7 }).onnx)), 0);
  assert.notEqual(Buffer.compare(Buffer.from(a.onnx), Buffer.from(buildDemoModel({ layers: 2 }).onnx)), 0);
});

test('default spec: x FP32 [-1, 60, 16] -> probs FP32 [-1, 3] with 16-feature normalization', () => {
  const { spec } = buildDemoModel();
  assert.equal(spec.name, 'cnn-lstm');
  assert.equal(spec.version, 1);
  assert.deepEqual(spec.inputs, [{ name: 'x', datatype: 'FP32', shape: [-1, 60, 16] }]);
  assert.deepEqual(spec.outputs, [{ name: 'probs', datatype: 'FP32', shape: [-1, 3] }]);
  assert.equal(spec.preprocessing?.normalize?.mean.length, 16);
  assert.ok(spec.preprocessing!.normalize!.std.every((s) => s > 0));
  assert.equal(buildDemoModel({ normalize: false }).spec.preprocessing, undefined);
});

test('bad options are rejected naming the flag', () => {
  assert.throws(() => buildDemoModel({ layers: 0 }), /--layers must be a whole number from 1/);
  assert.throws(() => buildDemoModel({ hidden: 2.5 }), /--hidden/);
  assert.throws(() => buildDemoModel({ name: '../evil' }), /--name/);
});
