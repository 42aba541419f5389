// The pure parts of `serve model optimize`: INT8 weight maths, the graph rewrite (read and written
// with onnx-proto), and the `optimized` block of model.yaml with line-numbered errors (model plane).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';
import { INT8_MAX, quantizePerChannel, transposeLast2 } from '../../src/model/optimize/int8.js';
import { decodeModel, encodeModel, floatData, tensorDims } from '../../src/model/optimize/onnx-model.js';
import { quantizeModel } from '../../src/model/optimize/quantize.js';
import { buildDemoModel } from '../../src/model/demo.js';
import { formatModelYaml, parseModelYaml } from '../../src/model/spec-yaml.js';
import type { ModelSpec } from '../../src/model/spec.js';
import { tinyClassifier } from './tiny-classifier.js';

test('per-channel INT8: one scale per channel from its largest magnitude, rounding to the nearest step', () => {
  // [outer 2, channels 2, inner 2]: channel 0 holds ±1 and 0.5, channel 1 holds 4 and -2; channel 2 is empty.
  const w = Float32Array.from([1, -0.5, 4, 2, 0.5, -1, -2, 0]);
  const q = quantizePerChannel(w, 2, 2, 2);
  assert.deepEqual([...q.scales], [Math.fround(1 / INT8_MAX), Math.fround(4 / INT8_MAX)]);
  assert.deepEqual([...q.values], [127, -64, 127, 64, 64, -127, -64, 0]);
  // Dequantized values land within half a step of the originals.
  w.forEach((v, i) => {
    const c = Math.floor(i / 2) % 2;
    assert.ok(Math.abs(q.values[i]! * q.scales[c]! - v) <= q.scales[c]! / 2 + 1e-7);
  });
  const zero = quantizePerChannel(new Float32Array(3), 1, 3, 1);
  assert.deepEqual([...zero.scales], [1, 1, 1], 'an all-zero channel gets scale 1, not a division by zero');
  assert.throws(() => quantizePerChannel(w, 3, 2, 2), RangeError);
});

test('transposeLast2 swaps the last two axes of each batch', () => {
  const t = transposeLast2(Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 2, 2, 3);
  assert.deepEqual([...t], [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12]);
});

test('quantizing the demo graph rewrites Conv, LSTM and Gemm and drops their FP32 weights', () => {
  const model = decodeModel(buildDemoModel().onnx, 'demo.onnx');
  const report = quantizeModel(model);
  assert.deepEqual(report, { quantized: ['conv1d', 'lstm0', 'fc'], kept: [] });
  const ops = model.graph!.node!.map((n) => `${n.domain ? `${n.domain}:` : ''}${n.opType}`);
  assert.ok(
    ops.includes('ConvInteger') && ops.includes('MatMulInteger') && ops.includes('com.microsoft:DynamicQuantizeLSTM'),
    ops.join(','),
  );
  assert.ok(!ops.includes('Conv') && !ops.includes('LSTM') && !ops.includes('Gemm'));
  const inits = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
  for (const gone of ['conv.weight', 'lstm0.W', 'lstm0.R', 'fc.weight'])
    assert.ok(!inits.has(gone), `${gone} is removed`);
  // DynamicQuantizeLSTM takes W as [directions, input, 4 * hidden], transposed from ONNX's LSTM.
  assert.deepEqual(tensorDims(inits.get('lstm0.W_int8')!), [1, 32, 256]);
  assert.ok(model.opsetImport!.some((o) => o.domain === 'com.microsoft'));
  // The rewritten model survives an encode/decode round trip through the library.
  const again = decodeModel(encodeModel(model), 'again.onnx');
  assert.equal(again.graph!.node!.length, model.graph!.node!.length);
});

test('--keep-fp32 keeps nodes by name or by operator type, and says why', () => {
  const byType = quantizeModel(decodeModel(buildDemoModel({ layers: 2 }).onnx, 'demo.onnx'), { keepFp32: ['LSTM'] });
  assert.deepEqual(byType.quantized, ['conv1d', 'fc']);
  assert.deepEqual(
    byType.kept.map((k) => k.node),
    ['lstm0', 'lstm1'],
  );
  assert.match(byType.kept[0]!.reason, /kept in FP32 with every LSTM/);
  const byName = quantizeModel(decodeModel(encodeModel(tinyClassifier()), 'tiny.onnx'), { keepFp32: ['head'] });
  assert.deepEqual(byName, { quantized: ['hidden'], kept: [{ node: 'head', reason: 'kept in FP32 by name' }] });
  assert.throws(
    () => quantizeModel(tinyClassifier(), { keepFp32: ['head', 'Conv'] }),
    (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(
        err.message,
        '--keep-fp32 Conv: no quantizable node has that name or operator type (quantizable nodes: hidden (MatMul), head (Gemm))',
      );
      return true;
    },
  );
});

test('nodes that cannot be quantized stay FP32 with the reason: weights that are graph inputs, old opsets', () => {
  const model = tinyClassifier();
  // An initializer listed among the graph inputs is only a default a caller may override.
  model.graph!.input!.push({ name: 'w1' });
  const report = quantizeModel(model);
  assert.deepEqual(report.quantized, ['head']);
  assert.deepEqual(report.kept, [{ node: 'hidden', reason: 'its weight is not a constant float initializer' }]);
  assert.ok(floatData(model.graph!.initializer!.find((t) => t.name === 'w1')!), 'w1 stays as it was');

  const old = tinyClassifier();
  old.opsetImport = [{ domain: '', version: 9 }];
  assert.deepEqual(
    quantizeModel(old).kept.map((k) => k.reason),
    [
      'the model imports opset 9; INT8 operators need opset 11 or later',
      'the model imports opset 9; INT8 operators need opset 11 or later',
    ],
  );
});

test('bytes that are not ONNX give one line naming the file', () => {
  assert.throws(
    () => decodeModel(Uint8Array.from([0xff, 0xff, 0xff]), 'models/x/1/model.onnx'),
    (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(
        err.message,
        /^models\/x\/1\/model\.onnx is not an ONNX model \(protobuf: .*\); rebuild it or replace the file$/,
      );
      return true;
    },
  );
});

const optimizedSpec = (): ModelSpec => ({
  ...buildDemoModel({ version: 2 }).spec,
  optimized: {
    from: 1,
    level: 'extended',
    int8: true,
    quantized: ['conv1d', 'lstm0'],
    fp32Kept: ['fc'],
    onnxruntime: '1.30.0',
  },
});

test('model.yaml records the optimized block and reads it back', () => {
  const spec = optimizedSpec();
  const text = formatModelYaml(spec);
  assert.match(
    text,
    /\noptimized:\n {2}from: 1\n {2}level: extended\n {2}int8: true\n {2}quantized: \[conv1d, lstm0\]\n {2}fp32_kept: \[fc\]\n {2}onnxruntime: 1\.30\.0\n$/,
  );
  assert.deepEqual(parseModelYaml(text, 'm.yaml', { name: 'cnn-lstm', version: 2 }), spec);
});

test('a bad optimized block names file:line:col and the field of every problem', () => {
  const good = formatModelYaml(optimizedSpec());
  const text = good
    .replace('from: 1', 'from: 2')
    .replace('level: extended', 'level: turbo')
    .replace('int8: true', 'int8: yes please')
    .replace('fp32_kept: [fc]', 'fp32_kept: fc\n  speed: 11');
  let details: readonly string[] = [];
  try {
    parseModelYaml(text, 'm.yaml', { name: 'cnn-lstm', version: 2 });
    assert.fail('expected a UserError');
  } catch (err) {
    assert.ok(err instanceof UserError);
    details = err.details;
  }
  const line = (key: string) => text.split('\n').findIndex((l) => l.trimStart().startsWith(`${key}:`)) + 1;
  const expected = [
    new RegExp(
      `^m\\.yaml:${line('speed')}:10: field "optimized\\.speed": unknown field; expected one of from, level, int8, quantized, fp32_kept, onnxruntime$`,
    ),
    new RegExp(
      `^m\\.yaml:${line('from')}:9: field "optimized\\.from": is 2, this version itself; name the version it was made from$`,
    ),
    new RegExp(`^m\\.yaml:${line('level')}:10: field "optimized\\.level": needs "level", one of basic, extended, all$`),
    new RegExp(`^m\\.yaml:${line('int8')}:9: field "optimized\\.int8": needs "int8": true or false$`),
    new RegExp(`^m\\.yaml:${line('fp32_kept')}:14: field "optimized\\.fp32_kept": must be a list of node names`),
  ];
  assert.equal(details.length, expected.length, details.join('\n'));
  expected.forEach((re, i) => assert.match(details[i]!, re));
  assert.throws(
    () =>
      parseModelYaml(good.replace(/optimized:[^]*$/, 'optimized: {level: all}\n'), 'm.yaml', {
        name: 'cnn-lstm',
        version: 2,
      }),
    (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.deepEqual(
        err.details.map((d) => d.replace(/^m\.yaml:\d+:\d+: /, '')),
        [
          'field "optimized": needs "from", the whole-number version this one was made from',
          'field "optimized": needs "int8": true or false',
        ],
      );
      return true;
    },
  );
});
