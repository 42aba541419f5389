// The byte scan against JSON.parse (differential): for generated bodies, valid and broken, parseInfer
// gives the same tensors (bit for bit) or the same status and message as the JSON.parse path, and
// the scan itself takes the plain valid ones. Binary bodies: views where aligned, one copy otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/common/random.js';
import { HttpError } from '../../../src/replica/http-error.js';
import { joinChunks } from '../../../src/replica/http-io.js';
import type { InferRequest, ParseLimits } from '../../../src/replica/infer-request.js';
import { parseInfer, parseInferScanned, parseInferWithJsonParse } from '../../../src/replica/parse-infer.js';
import { compileModel, type ServedModel } from '../../../src/replica/served-model.js';
import { breakBody, specA, specB, validBody } from './bodies.js';

type Parse = typeof parseInfer;
const models = [compileModel(specA), compileModel(specB)];
const limitsFor = (allowNonFinite: boolean): ParseLimits => ({
  maxRowsPerRequest: 4,
  allowNonFinite,
  maxJsonDepth: 16,
});

/** Everything a caller can see of one parse: the request with its tensors' bytes, or the error. */
function outcome(
  parse: Parse,
  body: Buffer,
  headerLength: number | undefined,
  model: ServedModel,
  limits: ParseLimits,
) {
  try {
    const r: InferRequest = parse(Buffer.from(body), headerLength, model, limits);
    return {
      id: r.id,
      rows: r.rows,
      outputs: r.outputs.map((o) => `${o.tensor.name}:${o.binary}`),
      inputs: r.inputs.map(
        (t) => `${t.constructor.name} ${Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('hex')}`,
      ),
    };
  } catch (err) {
    return { error: err instanceof HttpError ? `${err.status} ${err.message}` : `not an HttpError: ${String(err)}` };
  }
}

const tensorsOf = (m: ServedModel) =>
  m.inputs.map((t) => ({ name: t.name, datatype: t.dt.name, rowShape: [...t.rowShape] }));

test('generated JSON bodies: the scan and JSON.parse give the same tensors or the same 400', () => {
  const random = seededRandom(2027);
  let valid = 0;
  let scanned = 0;
  let refused = 0;
  for (let k = 0; k < 4000; k++) {
    const model = models[k % 2]!;
    const limits = limitsFor(random() < 0.3);
    let text = validBody(
      random,
      tensorsOf(model),
      model.outputs.map((t) => t.name),
    );
    const broken = random() < 0.5;
    if (broken) text = breakBody(random, text);
    const body = Buffer.from(text);
    const old = outcome(parseInferWithJsonParse, body, undefined, model, limits);
    assert.deepEqual(outcome(parseInfer, body, undefined, model, limits), old, text);
    if ('error' in old) {
      refused++;
      continue;
    }
    valid++;
    // Plain bodies (no escaped key, no true/false in a BOOL tensor) must not need JSON.parse.
    const plain = !text.includes('\\u0041') && !/true|false/.test(text);
    if (parseInferScanned(Buffer.from(body), undefined, model, limits) !== undefined) scanned++;
    else if (plain && !broken) assert.fail(`the scan gave up on a plain valid body: ${text}`);
  }
  // Enough of each kind that the comparison means something.
  assert.ok(valid > 1200 && refused > 1200, `valid ${valid}, refused ${refused}`);
  assert.ok(scanned > 0.5 * valid, `scanned ${scanned} of ${valid}`);
});

test('binary bodies: the same as JSON.parse at any alignment, aligned tensors viewed in place', () => {
  const model = models[0]!;
  const limits = limitsFor(false);
  const random = seededRandom(7);
  for (let k = 0; k < 200; k++) {
    const rows = 1 + Math.floor(random() * 3);
    const a = Float32Array.from({ length: rows * 4 }, () => random() * 10 - 5);
    const ids = BigInt64Array.from({ length: rows * 3 }, () => BigInt(Math.floor(random() * 100)));
    const idsJson = random() < 0.5;
    const inputs = [
      { name: 'a', datatype: 'FP32', shape: [rows, 2, 2], parameters: { binary_data_size: a.byteLength } },
      idsJson
        ? { name: 'ids', datatype: 'INT64', shape: [rows, 3], data: Array.from(ids, Number) }
        : { name: 'ids', datatype: 'INT64', shape: [rows, 3], parameters: { binary_data_size: ids.byteLength } },
    ];
    const header = Buffer.from(JSON.stringify({ inputs }) + ' '.repeat(Math.floor(random() * 8)));
    const parts = [header, Buffer.from(a.buffer), ...(idsJson ? [] : [Buffer.from(ids.buffer)])];
    const size = parts.reduce((n, p) => n + p.length, 0);
    // As readBody hands it over: several chunks joined with the binary part 8-byte aligned.
    const body = joinChunks(parts, size, header.length);
    assert.equal((body.byteOffset + header.length) % 8, 0);
    assert.deepEqual(body, Buffer.concat(parts));
    let broken = body;
    if (random() < 0.3) broken = body.subarray(0, body.length - 1 - Math.floor(random() * 4));
    const old = outcome(parseInferWithJsonParse, broken, header.length, model, limits);
    assert.deepEqual(outcome(parseInfer, broken, header.length, model, limits), old);
    if (broken !== body) continue;
    const r = parseInferScanned(body, header.length, model, limits);
    assert.ok(r, 'the scan takes a plain binary request');
    assert.equal(r.inputs[0]!.buffer, body.buffer, 'an aligned binary tensor is a view of the body');
  }
});

test('the scan gives up on what it does not handle, and parseInfer still answers as before', () => {
  const [model] = models;
  const limits = limitsFor(false);
  const ids = '{"name":"ids","datatype":"INT64","shape":[1,3],"data":[1,2,3]}';
  const a = (data: string, extra = '') => `{"name":"a","datatype":"FP32","shape":[1,2,2],"data":${data}${extra}}`;
  const cases: Array<[string, boolean]> = [
    [`{"inputs":[${a('[1,2,3,4]')},${ids}]}`, true],
    [`{"inputs":[${a('[[[1,2],[3,4]]]')},${ids}]}`, true],
    [`{"inputs":[${a('[1,2,3,4]', ',"data":[1,2,3,4]')},${ids}]}`, false], // duplicate key
    [`{"in\\u0070uts":[${a('[1,2,3,4]')},${ids}]}`, false], // escaped key
    [`{"inputs":[${a('[[1,2],[3,4]]')},${ids}]}`, false], // nested as another shape
    [`{"inputs":[${a('[[[1,2],[3]]]')},${ids}]}`, false], // ragged
    [`{"inputs":[${a('[1,2,3,"4"]')},${ids}]}`, false],
    [`{"inputs":[${a('[1,2,3,NaN]')},${ids}]}`, false],
    [`{"inputs":[${a('[1,2,3,4]')},${ids}]} x`, false],
  ];
  for (const [text, scans] of cases) {
    const body = Buffer.from(text);
    assert.equal(parseInferScanned(Buffer.from(body), undefined, model!, limits) !== undefined, scans, text);
    assert.deepEqual(
      outcome(parseInfer, body, undefined, model!, limits),
      outcome(parseInferWithJsonParse, body, undefined, model!, limits),
    );
  }
});
