// Payloads and result formats (loadtest, pure): seeded tensors shaped from metadata, the binary
// tensor layout, replay files, JUnit and the HDR log read back with the HdrHistogram reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import hdr from 'hdr-histogram-js';
import { encodeRequest, generatePayloads, loadReplayPayloads } from '../../src/loadtest/payload.js';
import { toHalf } from '../../src/loadtest/tensors.js';
import { checkOutputs } from '../../src/loadtest/client.js';
import { hdrLogHeader, hdrLogLine } from '../../src/loadtest/formats.js';
import { encodeHistogram, newHistogram, recordMs } from '../../src/loadtest/histogram.js';
import { UserError } from '../../src/common/errors.js';

const meta = {
  name: 'm',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 2, 3] },
    { name: 'ids', datatype: 'INT64', shape: [4] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
};

test('generated JSON payloads have the metadata shapes, dynamic dims as 1, and are seeded', () => {
  const a = generatePayloads(meta, false, 7, 4);
  const b = generatePayloads(meta, false, 7, 4);
  const c = generatePayloads(meta, false, 8, 4);
  assert.deepEqual(
    a.map((p) => p.body.toString()),
    b.map((p) => p.body.toString()),
  );
  assert.notEqual(a[0]!.body.toString(), c[0]!.body.toString());
  assert.notEqual(a[0]!.body.toString(), a[1]!.body.toString());
  const body = JSON.parse(a[0]!.body.toString());
  assert.deepEqual(
    body.inputs.map((t: { shape: number[] }) => t.shape),
    [[1, 2, 3], [4]],
  );
  assert.equal(body.inputs[0].data.length, 6);
  assert.ok(body.inputs[0].data.every((v: number) => v >= -1 && v < 1));
  assert.ok(body.inputs[1].data.every((v: number) => Number.isInteger(v)));
  assert.throws(
    () => generatePayloads({ ...meta, inputs: [{ name: 'z', datatype: 'COMPLEX', shape: [1] }] }, false, 1),
    /COMPLEX.*--requests/,
  );
});

test('binary payloads: JSON header of the stated length, then little-endian tensors', () => {
  const p = encodeRequest(
    [
      { name: 'x', shape: [1, 2], datatype: 'FP32', data: [1.5, -2] },
      { name: 'n', shape: [1], datatype: 'INT64', data: [7] },
      { name: 's', shape: [1], datatype: 'BYTES', data: ['ab'] },
    ],
    true,
  );
  const headerLength = Number(p.headers['inference-header-content-length']);
  const header = JSON.parse(p.body.subarray(0, headerLength).toString());
  assert.deepEqual(
    header.inputs.map((t: { parameters: { binary_data_size: number } }) => t.parameters.binary_data_size),
    [8, 8, 6],
  );
  const rest = p.body.subarray(headerLength);
  assert.equal(rest.length, 22);
  assert.equal(rest.readFloatLE(0), 1.5);
  assert.equal(rest.readFloatLE(4), -2);
  assert.equal(rest.readBigInt64LE(8), 7n);
  assert.equal(rest.readUInt32LE(16), 2);
  assert.equal(rest.subarray(20).toString(), 'ab');
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
});

test('replay files: one request a line; bad lines named with file:line', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'replay-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.jsonl');
  await writeFile(
    good,
    '{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}\n\n{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[2]}]}\n',
  );
  assert.equal((await loadReplayPayloads(good, false)).length, 2);
  assert.equal(
    (await loadReplayPayloads(good, true))[1]!.headers['inference-header-content-length'] !== undefined,
    true,
  );
  const bad = path.join(dir, 'bad.jsonl');
  await writeFile(bad, '{"inputs":[]}\n{nope\n');
  await assert.rejects(
    loadReplayPayloads(bad, false),
    (e: unknown) => e instanceof UserError && /bad\.jsonl:2: not valid JSON/.test(e.message),
  );
  await assert.rejects(loadReplayPayloads(path.join(dir, 'none.jsonl'), false), /cannot read the file \(ENOENT\)/);
});

test('shape check: names, ranks, fixed dims and data length', () => {
  const want = meta.outputs;
  const ok = (o: unknown) => checkOutputs(Buffer.from(JSON.stringify({ outputs: o })), want);
  assert.equal(ok([{ name: 'y', shape: [1, 1], data: [0.5] }]), true);
  assert.equal(ok([{ name: 'y', shape: [5, 1] }]), true);
  assert.equal(ok([{ name: 'y', shape: [1, 2], data: [1, 2] }]), false);
  assert.equal(ok([{ name: 'y', shape: [1, 1], data: [1, 2] }]), false);
  assert.equal(ok([{ name: 'z', shape: [1, 1] }]), false);
  assert.equal(checkOutputs(Buffer.from('not json'), want), false);
});

test('the HDR log is read back by the HdrHistogram reader, interval by interval', () => {
  const intervals = [[1, 2, 3], [10, 20], [5]].map((values, i) => {
    const h = newHistogram();
    for (const v of values) recordMs(h, v);
    return { startMs: i * 1000, endMs: (i + 1) * 1000, latencyUs: encodeHistogram(h), maxUs: h.maxValue };
  });
  const log = hdrLogHeader(Date.UTC(2026, 0, 1)) + intervals.map(hdrLogLine).join('');
  const reader = new hdr.HistogramLogReader(log);
  const counts: number[] = [];
  const maxima: number[] = [];
  for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
    counts.push(h.totalCount);
    maxima.push(Math.round(h.maxValue / 1000));
  }
  assert.deepEqual(counts, [3, 2, 1]);
  assert.deepEqual(maxima, [3, 20, 5]);
  assert.equal(reader.startTimeSec, Date.UTC(2026, 0, 1) / 1000);
});
