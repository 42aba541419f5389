// The cheap inference-response check (loadtest, pure): whatever way the body is split into reads,
// an inference response passes and anything else fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceBodyProbe } from '../../src/loadtest/body-probe.js';

/** Feeds `body` to a fresh probe in pieces cut at `cuts` (offsets), inside a larger buffer. */
function probe(body: string, cuts: number[] = [], binaryHeaderLength?: number): boolean {
  const p = new InferenceBodyProbe();
  p.start(binaryHeaderLength);
  // Pad each piece with unrelated bytes on both sides, as a read buffer holding other data would.
  const bytes = Buffer.from(body, 'latin1');
  const bounds = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = bytes.subarray(bounds[i], bounds[i + 1]);
    const padded = Buffer.concat([Buffer.from('"outputs":['), piece, Buffer.from('}"outputs":[')]);
    p.feed(padded, 11, 11 + piece.length);
  }
  return p.passed;
}

const good = '{"model_name":"m","id":"1","outputs":[{"name":"y","datatype":"FP32","shape":[1,1],"data":[0.5]}]}';

test('an inference response passes however it is split, into two reads or one byte each', () => {
  assert.equal(probe(good), true);
  for (let cut = 1; cut < good.length; cut++) assert.equal(probe(good, [cut]), true, `cut at ${cut}`);
  assert.equal(
    probe(
      good,
      Array.from({ length: good.length - 1 }, (_, i) => i + 1),
    ),
    true,
    'one byte a read',
  );
  assert.equal(probe(' \n{ "outputs" : [ ] }\r\n', [3, 9, 14]), true);
});

test('bodies without outputs, or not a JSON object, fail however they are split', () => {
  const bad = [
    '',
    '   ',
    '{}',
    '[]',
    '{"error":"x"}',
    'outputs',
    '"outputs":[]',
    '{"outputs":{}}',
    '{"outputs":null}',
    '{"a":"outputs","b":[1]}',
    '{"outputs":[1]',
    'x{"outputs":[1]}',
    '<p>{"outputs":[]}</p>',
  ];
  for (const body of bad) {
    assert.equal(probe(body), false, body);
    for (let cut = 1; cut < body.length; cut++) assert.equal(probe(body, [cut]), false, `${body} cut at ${cut}`);
  }
  // The key may appear first as a value; the real key later still counts.
  assert.equal(probe('{"name":"outputs","outputs":[]}', [5, 12]), true);
});

test('binary extension: only the JSON header is checked, and it must fit the body', () => {
  const header = '{"outputs":[{"name":"y","parameters":{"binary_data_size":4}}]}';
  const tensor = '\x00\x00\x80\x3f';
  assert.equal(probe(header + tensor, [], header.length), true);
  assert.equal(probe(header + tensor, [header.length - 3, header.length + 1], header.length), true);
  // Tensor bytes that happen to hold '}' or the key do not count: the header alone is judged.
  assert.equal(probe('{"outputs":[' + '}', [], 12), false);
  assert.equal(probe(header, [], header.length + 10), false, 'header longer than the body');
  assert.equal(probe(header + tensor, [], Number.NaN), false, 'a header length that is not a number');
});

test('start() forgets the previous body', () => {
  const p = new InferenceBodyProbe();
  p.start(undefined);
  p.feed(Buffer.from(good), 0, good.length);
  assert.equal(p.passed, true);
  p.start(undefined);
  p.feed(Buffer.from('{}'), 0, 2);
  assert.equal(p.passed, false);
});
