// Request parsing and validation without a server: JSON (flat and nested) and binary tensors,
// several inputs, normalization, and the 400 messages for what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSpec } from '../../src/model/spec.js';
import { HttpError } from '../../src/replica/http-error.js';
import { jsonDepth } from '../../src/replica/json-depth.js';
import type { ParseLimits } from '../../src/replica/infer-request.js';
import { parseInfer } from '../../src/replica/parse-infer.js';
import { compileModel } from '../../src/replica/served-model.js';

const spec: ModelSpec = {
  name: 'm',
  version: 2,
  description: 'test',
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [-1, 2, 2] },
    { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
  ],
  outputs: [
    { name: 'y', datatype: 'FP32', shape: [-1, 1] },
    { name: 'z', datatype: 'FP32', shape: [-1, 2] },
  ],
  preprocessing: { normalize: { input: 'a', mean: [1, 2], std: [2, 4] } },
};
const model = compileModel(spec);
const limits: ParseLimits = { maxRowsPerRequest: 4, allowNonFinite: false, maxJsonDepth: 16 };
const arr = (t: unknown) => Array.from(t as ArrayLike<number | bigint>);
const json = (doc: unknown) => Buffer.from(JSON.stringify(doc));
const inputA = (data: unknown, shape = [1, 2, 2]) => ({ name: 'a', datatype: 'FP32', shape, data });
const inputIds = (data: unknown = [1, 2, 3], shape = [1, 3]) => ({ name: 'ids', datatype: 'INT64', shape, data });

function rejects(body: Buffer, pattern: RegExp, headerLength?: number, lim = limits) {
  assert.throws(
    () => parseInfer(body, headerLength, model, lim),
    (err: unknown) => {
      assert.ok(err instanceof HttpError, `expected HttpError, got ${String(err)}`);
      assert.equal(err.status, 400);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('nested and flat JSON data give the same normalized tensor', () => {
  const nested = parseInfer(
    json({
      id: 'r1',
      inputs: [
        inputA([
          [
            [1, 2],
            [3, 6],
          ],
        ]),
        inputIds(),
      ],
    }),
    undefined,
    model,
    limits,
  );
  const flat = parseInfer(json({ inputs: [inputIds(), inputA([1, 2, 3, 6])] }), undefined, model, limits);
  // (v - mean[j]) / std[j] along the last axis: mean [1,2], std [2,4].
  assert.deepEqual(arr(nested.inputs[0]!), [0, 0, 1, 1]);
  assert.deepEqual(arr(flat.inputs[0]!), [0, 0, 1, 1]);
  assert.deepEqual(arr(flat.inputs[1]!), [1n, 2n, 3n]);
  assert.equal(nested.id, 'r1');
  assert.equal(nested.rows, 1);
  assert.deepEqual(
    nested.outputs.map((o) => [o.tensor.name, o.binary]),
    [
      ['y', false],
      ['z', false],
    ],
  );
});

test('binary tensors are read at any byte alignment, and outputs can be chosen and made binary', () => {
  for (const pad of [0, 1, 2, 3]) {
    const a = new Float32Array([1, 2, 3, 6, 5, 10, 7, 14]);
    const ids = new BigInt64Array([4n, 5n, 6n, 7n, 8n, 9n]);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2, 2, 2], parameters: { binary_data_size: 32 } },
          { name: 'ids', datatype: 'INT64', shape: [2, 3], parameters: { binary_data_size: 48 } },
        ],
        outputs: [{ name: 'z', parameters: { binary_data: true } }],
      }) + ' '.repeat(pad),
    );
    const body = Buffer.concat([header, Buffer.from(a.buffer), Buffer.from(ids.buffer)]);
    const r = parseInfer(body, header.length, model, limits);
    assert.equal(r.rows, 2);
    assert.deepEqual(arr(r.inputs[0]!), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.deepEqual(arr(r.inputs[1]!), [4n, 5n, 6n, 7n, 8n, 9n]);
    assert.deepEqual(
      r.outputs.map((o) => [o.tensor.name, o.binary]),
      [['z', true]],
    );
  }
});

test('binary_data_output asks for every output in binary', () => {
  const r = parseInfer(
    json({ inputs: [inputA([1, 2, 3, 4]), inputIds()], parameters: { binary_data_output: true } }),
    undefined,
    model,
    limits,
  );
  assert.deepEqual(
    r.outputs.map((o) => o.binary),
    [true, true],
  );
});

test('each kind of bad request is a 400 naming the problem', () => {
  rejects(json([1]), /JSON object/);
  rejects(json({}), /"inputs" must be a non-empty array/);
  rejects(json({ inputs: [inputA([1, 2, 3, 4])] }), /missing input "ids"/);
  rejects(json({ inputs: [inputA([1, 2, 3, 4]), inputIds(), inputIds()] }), /"ids" is given twice/);
  rejects(json({ inputs: [{ ...inputA([1, 2, 3, 4]), name: 'b' }, inputIds()] }), /unknown input "b".*"a", "ids"/);
  rejects(
    json({ inputs: [{ ...inputA([1, 2, 3, 4]), datatype: 'FP64' }, inputIds()] }),
    /datatype FP64, the model expects FP32/,
  );
  rejects(json({ inputs: [inputA([1, 2, 3, 4], [1, 4]), inputIds()] }), /rank 2.*expects rank 3/);
  rejects(
    json({ inputs: [inputA([1, 2, 3, 4, 5, 6], [1, 3, 2]), inputIds()] }),
    /dimension 1 is 3, the model expects 2/,
  );
  rejects(json({ inputs: [inputA([1, 2, 3]), inputIds()] }), /has 3 values in "data" but shape needs 4/);
  rejects(json({ inputs: [inputA([1, 2, 3, 4, 5]), inputIds()] }), /more than 4 values/);
  rejects(json({ inputs: [inputA([1, 2, 'x', 4]), inputIds()] }), /data\[2\] is string/);
  rejects(
    json({ inputs: [inputA([1, 2, 3, 1e39]), inputIds()] }),
    /element 3 is Infinity: NaN and Infinity are rejected/,
  );
  rejects(json({ inputs: [inputA([1, 2, 3, 4]), inputIds([1, 2.5, 3])] }), /data\[1\] = 2.5 is not a valid INT64/);
  rejects(
    json({ inputs: [inputA([1, 2, 3, 4]), inputIds([1, 2, 3, 4, 5, 6], [2, 3])] }),
    /"ids" has 2 rows but another input has 1/,
  );
  rejects(json({ inputs: [inputA([], [0, 2, 2]), inputIds()] }), /0 rows/);
  rejects(json({ inputs: [inputA(new Array(20).fill(0), [5, 2, 2]), inputIds()] }), /at most 4 per request/);
  rejects(json({ inputs: [inputA([[[[1]]], 2, 3, 4]), inputIds()] }), /nested deeper than its rank/);
  // Ragged or mixed nesting with the right total count would shift values between rows.
  rejects(json({ inputs: [inputA([[[1, 2, 3], [4]]]), inputIds()] }), /has 3 entries at depth 2, its shape needs 2/);
  rejects(json({ inputs: [inputA([[[1, 2], 3, 4]]), inputIds()] }), /has 3 entries at depth 1, its shape needs 2/);
  rejects(json({ inputs: [inputA([[1, 2, 3, 4]]), inputIds()] }), /has 4 entries at depth 1, its shape needs 2/);
  rejects(json({ inputs: [inputA([1, 2, 3, 4]), inputIds()], outputs: [{ name: 'nope' }] }), /unknown output "nope"/);
  rejects(Buffer.from('{"inputs": [1,'), /not valid JSON \(unexpected end of input\)/);
  rejects(
    Buffer.from('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
    /deeper than 16 levels/,
  );
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2, 2], parameters: { binary_data_size: 12 } }, inputIds()],
    }),
  );
  rejects(
    Buffer.concat([header, Buffer.alloc(12)]),
    /binary_data_size is 12 bytes but shape \[1,2,2\] of FP32 needs 16/,
    header.length,
  );
  rejects(Buffer.concat([header, Buffer.alloc(12)]), /not valid JSON/);
  rejects(header, /has no Inference-Header-Content-Length/);
  rejects(header, /Inference-Header-Content-Length is 999/, 999);
});

test('NaN is accepted when allowed', () => {
  const a = new Float32Array([NaN, 1, 2, 3]);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 2, 2], parameters: { binary_data_size: 16 } }, inputIds()],
    }),
  );
  const body = Buffer.concat([header, Buffer.from(a.buffer)]);
  rejects(body, /element 0 is NaN/, header.length);
  assert.ok(Number.isNaN(parseInfer(body, header.length, model, { ...limits, allowNonFinite: true }).inputs[0]![0]));
});

test('jsonDepth ignores brackets inside strings and stops early past the limit', () => {
  const b = Buffer.from('{"a":"[[[[\\"[[","b":[[1]]}');
  assert.equal(jsonDepth(b, 0, b.length, 10), 3);
  const deep = Buffer.from('['.repeat(100000));
  assert.equal(jsonDepth(deep, 0, deep.length, 5), 6);
});
