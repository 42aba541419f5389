// Loading checks: model.onnx is opened with ONNX Runtime and compared with model.yaml; corrupt or
// mismatching files give one clear error. Also the ONNX file decoder used by `inspect` (model plane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../src/common/errors.js';
import { buildDemoModel, writeDemoModel } from '../../src/model/demo.js';
import { inspectOnnxBytes } from '../../src/model/onnx-inspect.js';
import { resolveModel } from '../../src/model/registry.js';
import { compareSignature, openVerifiedSession, verifyModel } from '../../src/model/verify.js';
import { tempRegistry } from './tmp.js';

test('a fresh demo model verifies and its session runs', async (t) => {
  const reg = await tempRegistry(t);
  const model = await writeDemoModel(reg);
  const session = await openVerifiedSession(model);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(2 * 60 * 16), [2, 60, 16]) });
    assert.deepEqual(out.probs!.dims, [2, 3]);
  } finally {
    await session.release();
  }
});

test('each kind of model.yaml / model.onnx mismatch is reported', async (t) => {
  const reg = await tempRegistry(t);
  const model = await writeDemoModel(reg, { normalize: false });
  const good = await readFile(model.yamlPath, 'utf8');
  const cases: [string, string, RegExp][] = [
    ['shape: [-1, 60, 16]', 'shape: [-1, 60, 8]', /input "x" dim 2: model\.yaml says 8, model\.onnx says 16/],
    ['shape: [-1, 60, 16]', 'shape: [1, 60, 16]', /input "x" dim 0: model\.yaml says 1, model\.onnx leaves it dynamic/],
    [
      'shape: [-1, 60, 16]',
      'shape: [-1, 960]',
      /input "x": model\.yaml says rank 2 \[-1, 960\], model\.onnx says rank 3 \[batch, 60, 16\]/,
    ],
    [
      'name: probs',
      'name: prob',
      /model\.yaml lists output "prob" but model\.onnx has no such output \(onnx outputs: probs\)/,
    ],
    [
      'datatype: FP32\n    shape: [-1, 3]',
      'datatype: FP64\n    shape: [-1, 3]',
      /output "probs": model\.yaml says datatype FP64, model\.onnx says FP32/,
    ],
  ];
  for (const [from, to, re] of cases) {
    assert.ok(good.includes(from), `fixture contains ${from}`);
    await writeFile(model.yamlPath, good.replace(from, to));
    const resolved = await resolveModel(reg, 'cnn-lstm');
    await assert.rejects(
      verifyModel(resolved),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, /model\.onnx does not match .*model\.yaml: /);
        assert.match(err.message, re);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
      to,
    );
  }
});

test('a corrupt or truncated model.onnx is one clear error', async (t) => {
  const reg = await tempRegistry(t);
  const model = await writeDemoModel(reg);
  const bytes = await readFile(model.onnxPath);
  for (const bad of [Buffer.from('this is not an onnx file at all'), bytes.subarray(0, bytes.length >> 1)]) {
    await writeFile(model.onnxPath, bad);
    await assert.rejects(verifyModel(model), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /model\.onnx is not a loadable ONNX model \(ONNX Runtime: .+\); rebuild it/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
});

test('compareSignature: fixed vs dynamic dims and extra tensors (pure)', () => {
  const spec = buildDemoModel().spec;
  const meta = (name: string, shape: (number | string)[]) => ({
    name,
    isTensor: true as const,
    type: 'float32' as const,
    shape,
  });
  const sig = {
    inputNames: ['x', 'mask'],
    outputNames: ['probs'],
    inputMetadata: [meta('x', [1, 60, 16]), meta('mask', [1])],
    outputMetadata: [meta('probs', ['N', 3])],
  };
  const problems = compareSignature(sig, spec);
  assert.deepEqual(problems, [
    'input "x" dim 0: model.yaml says dynamic (-1), model.onnx fixes it to 1',
    'model.onnx has input "mask" that model.yaml does not list (yaml inputs: x)',
  ]);
  assert.deepEqual(
    compareSignature({ ...sig, inputNames: ['x'], inputMetadata: [meta('x', ['b', 60, 16])] }, spec),
    [],
  );
});

test('inspectOnnxBytes reads opset, graph, parameters and tensors from the file', () => {
  const one = buildDemoModel();
  const info = inspectOnnxBytes(one.onnx, 'model.onnx');
  const w = one.weights;
  const lstmParams = w.lstm.reduce((s, l) => s + l.W.length + l.R.length + l.B.length, 0);
  assert.equal(info.parameterCount, w.convW.length + w.convB.length + lstmParams + w.fcW.length + w.fcB.length);
  assert.equal(info.irVersion, 8);
  assert.deepEqual(info.opsets, [{ domain: '', version: 17 }]);
  assert.equal(info.nodeCount, 8);
  assert.equal(info.fileBytes, one.onnx.length);
  assert.deepEqual(info.inputs, [{ name: 'x', datatype: 'FP32', shape: ['batch', 60, 16] }]);
  assert.deepEqual(info.outputs, [{ name: 'probs', datatype: 'FP32', shape: ['batch', 3] }]);
  const two = inspectOnnxBytes(buildDemoModel({ layers: 2, window: 30 }).onnx, 'model.onnx');
  assert.equal(two.opCounts.LSTM, 2);
  assert.equal(two.opCounts.Squeeze, 2);
  assert.deepEqual(two.inputs[0]!.shape, ['batch', 30, 16]);
  assert.throws(
    () => inspectOnnxBytes(Buffer.from([0x0a, 0xff, 0x01]), 'bad.onnx'),
    /bad\.onnx is not a valid ONNX file/,
  );
});
