// The pure parts of `serve model compare`: agreement and differences, the rows it feeds (seeded like
// `serve bench`, or recorded requests), and how the report is rendered (model plane + cli).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../src/common/errors.js';
import { checkComparable, type CompareReport } from '../../src/model/compare/compare.js';
import { requestInputs, seededInputs } from '../../src/model/compare/inputs.js';
import { agreementOf, rowsPerSecond } from '../../src/model/compare/stats.js';
import { buildDemoModel } from '../../src/model/demo.js';
import type { ModelSpec } from '../../src/model/spec.js';
import { generatePayloads } from '../../src/loadtest/payload.js';
import { compareJson, renderCompare } from '../../src/cli/model-compare.js';
import { tempRegistry } from './tmp.js';

test('agreement counts argmax matches of the first output; differences cover every output value', () => {
  // Three rows of three classes; B flips row 2's winner. A second output differs by 0.5 once.
  const a = new Map([
    ['p', [0.1, 0.2, 0.7, 0.6, 0.3, 0.1, 0.3, 0.4, 0.3]],
    ['q', [1, 2, 3]],
  ]);
  const b = new Map([
    ['p', [0.1, 0.25, 0.65, 0.6, 0.3, 0.1, 0.45, 0.4, 0.15]],
    ['q', [1, 2.5, 3]],
  ]);
  const g = agreementOf(a, b, ['p', 'q'], 3);
  assert.equal(g.predictions, 3);
  assert.equal(g.agreeing, 2);
  assert.equal(g.agreement, 2 / 3);
  assert.deepEqual(g.classCounts, { a: [1, 1, 1], b: [2, 0, 1] });
  assert.equal(g.maxAbsDiff, 0.5);
  assert.ok(Math.abs(g.meanAbsDiff - (0.05 + 0.05 + 0.15 + 0.15 + 0.5) / 12) < 1e-12);
  assert.ok(Math.abs(g.outputs[0]!.maxAbsDiff - 0.15) < 1e-12);
  assert.equal(
    agreementOf(new Map([['p', [NaN]]]), new Map([['p', [1]]]), ['p'], 1).maxAbsDiff,
    Infinity,
    'NaN is not hidden',
  );
  assert.equal(rowsPerSecond(8, 100, 400), 2000);
});

test('seeded rows are the rows serve bench sends for the same seed', () => {
  const { spec } = buildDemoModel({ window: 4, features: 3 });
  const inputs = seededInputs(spec, 40, 5);
  assert.equal(inputs.batchable, true);
  assert.deepEqual(inputs.columns[0]!.rowShape, [4, 3]);
  assert.equal(inputs.columns[0]!.values.length, 40 * 12);
  const meta = { name: spec.name, versions: ['1'], platform: 'onnx', inputs: spec.inputs, outputs: spec.outputs };
  const payloads = generatePayloads(meta, false, 5, 32);
  payloads.forEach((p, i) => {
    const sent = JSON.parse(p.body.toString()).inputs[0].data as number[];
    assert.deepEqual(sent, inputs.columns[0]!.values.slice(i * 12, (i + 1) * 12));
  });
  assert.deepEqual(seededInputs(spec, 40, 5), inputs, 'same seed, same rows');
  assert.notDeepEqual(seededInputs(spec, 40, 6).columns[0]!.values, inputs.columns[0]!.values);
});

test('a model without a batch axis is fed one whole tensor per row', () => {
  const spec: ModelSpec = {
    name: 'fixed',
    version: 1,
    description: '',
    inputs: [{ name: 'x', datatype: 'INT64', shape: [1, 5] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }],
  };
  const inputs = seededInputs(spec, 3, 1);
  assert.equal(inputs.batchable, false);
  assert.deepEqual(inputs.columns[0]!.rowShape, [1, 5]);
  assert.ok(inputs.columns[0]!.values.every((v) => Number.isInteger(v) && v >= 0 && v < 10));
});

test('recorded requests: batches become rows, --rows caps them, and mistakes name the line', async (t) => {
  const dir = await tempRegistry(t);
  const { spec } = buildDemoModel({ window: 2, features: 2 });
  const req = (n: number, v: number, extra = {}) =>
    JSON.stringify({
      inputs: [{ name: 'x', shape: [n, 2, 2], datatype: 'FP32', data: new Array(n * 4).fill(v), ...extra }],
    });
  const file = path.join(dir, 'requests.jsonl');
  await writeFile(file, `${req(1, 1)}\n\n${req(3, 2)}\n`);
  const all = await requestInputs(spec, file);
  assert.equal(all.rows, 4);
  assert.deepEqual(all.columns[0]!.values, [1, 1, 1, 1, ...new Array(12).fill(2)]);
  assert.equal(all.source, file);
  const capped = await requestInputs(spec, file, 2);
  assert.equal(capped.rows, 2);
  assert.equal(capped.columns[0]!.values.length, 8);

  const cases: [string, RegExp][] = [
    [`${req(1, 1)}\nnot json`, /requests\.jsonl:2: not valid JSON/],
    [
      req(1, 1, { shape: [1, 2, 3] }),
      /requests\.jsonl:1: input "x" has shape \[1, 2, 3\], the model takes \[n, 2, 2\]/,
    ],
    [req(1, 1, { datatype: 'FP64' }), /requests\.jsonl:1: input "x" is FP64, the model takes FP32/],
    [req(1, 1, { name: 'z' }), /requests\.jsonl:1: the request has no input "x"/],
    [req(2, 1, { data: [1, 2] }), /requests\.jsonl:1: input "x" needs 8 numbers in "data", found 2/],
    ['\n\n', /the file holds no requests/],
  ];
  for (const [text, re] of cases) {
    await writeFile(file, text);
    await assert.rejects(requestInputs(spec, file), (err: unknown) => err instanceof UserError && re.test(err.message));
  }
  await assert.rejects(
    requestInputs(spec, path.join(dir, 'missing.jsonl')),
    /--requests .*missing\.jsonl: cannot read the file \(ENOENT\)/,
  );
});

test('models with different inputs or outputs cannot be compared, and the error says how they differ', () => {
  const a = buildDemoModel().spec;
  assert.doesNotThrow(() => checkComparable(a, buildDemoModel({ version: 2, hidden: 8 }).spec));
  assert.throws(
    () => checkComparable(a, buildDemoModel({ version: 2, window: 30 }).spec),
    /cannot compare cnn-lstm@1 and cnn-lstm@2: input "x" is FP32 \[-1, 60, 16\] vs FP32 \[-1, 30, 16\]/,
  );
  assert.throws(
    () => checkComparable(a, { ...a, outputs: [{ name: 'p', datatype: 'FP32', shape: [-1, 3] }] }),
    /their outputs differ \(probs vs p\)/,
  );
});

function report(over: Partial<CompareReport> = {}): CompareReport {
  const throughput = (base: number) => [
    { batch: 1, rowsPerSec: base },
    { batch: 8, rowsPerSec: base * 3 },
    { batch: 32 },
  ];
  return {
    a: { ref: 'm@1', onnxPath: 'a', onnxBytes: 100 * 1024, throughput: throughput(1000) },
    b: { ref: 'm@2', onnxPath: 'b', onnxBytes: 30 * 1024, throughput: throughput(1500) },
    rows: 1000,
    source: 'seeded random (seed 1)',
    passed: true,
    throughputMs: 500,
    agreement: {
      predictions: 1000,
      agreeing: 996,
      agreement: 0.996,
      classOutput: 'probs',
      classes: 3,
      classCounts: { a: [500, 300, 200], b: [498, 302, 200] },
      maxAbsDiff: 0.0015,
      meanAbsDiff: 0.00028,
      outputs: [{ name: 'probs', maxAbsDiff: 0.0015, meanAbsDiff: 0.00028 }],
    },
    ...over,
  };
}

test('the rendered comparison puts both versions side by side, then agreement and the gate', () => {
  const text = renderCompare(report({ minAgreement: 0.999, passed: false }));
  const lines = text.split('\n');
  assert.match(lines[0]!, /^m@1 vs m@2: 1000 rows, seeded random \(seed 1\)$/);
  assert.match(text, /\n +M@1 +M@2 +B\/A\n/);
  assert.match(text, /\nfile size +100\.0 KiB +30\.0 KiB +0\.30x\n/);
  assert.match(text, /\nrows\/s batch 1 +1,000 +1,500 +1\.50x\n/);
  assert.match(text, /\nrows\/s batch 32 +- +- +-\n/);
  assert.match(text, /\nagreement: +99\.6% \(996 of 1000 predicted classes of "probs" agree\)\n/);
  assert.match(text, /\nabs diff: +max 1\.50e-3, mean 2\.80e-4/);
  assert.match(text, /\ngate: +FAILED: 99\.6% < --min-agreement 99\.9%\n$/);
  assert.doesNotMatch(text, /note:/);
  const oneClass = renderCompare(
    report({ agreement: { ...report().agreement, classCounts: { a: [0, 0, 1000], b: [0, 0, 1000] } } }),
  );
  assert.match(oneClass, /note: +m@1 predicts the same class for every row/);
  assert.match(
    renderCompare(report({ agreement: { ...report().agreement, agreement: 0.9996 } })),
    /agreement: +99\.96%/,
    'no rounding up to 100%',
  );
});

test('--json carries agreement as a fraction and the gate outcome', () => {
  const json = compareJson(report({ minAgreement: 0.99 }));
  assert.equal(json.agreement, 0.996);
  assert.equal(json.minAgreement, 0.99);
  assert.equal(json.passed, true);
  assert.equal(json.maxAbsDiff, 0.0015);
  assert.deepEqual((json.b as { throughput: unknown }).throughput, report().b.throughput);
  assert.equal('minAgreement' in compareJson(report()), false);
});
