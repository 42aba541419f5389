// The frame codec and the incremental decoder (common/frames/): round trips, frames cut anywhere
// across chunks, views instead of copies, and every framing error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeRequest,
  decodeResponse,
  encodeRequestHead,
  encodeResponseHead,
  FrameError,
  FrameType,
} from '../../../src/common/frames/codec.js';
import { FrameDecoder, type Frame } from '../../../src/common/frames/decoder.js';

const headers = ['Content-Type', 'application/octet-stream', 'x-serve-timeout-ms', '250', 'X-Odd', 'caf\u00e9'];

function requestFrame(id: number, body: Buffer): Buffer {
  return Buffer.concat([encodeRequestHead(id, 'POST', '/v2/models/m/infer?x=1', headers, body.length), body]);
}

function decoder(frames: Frame[], max = 1 << 20, oversize?: (id: number, n: number) => void) {
  return new FrameDecoder({
    type: FrameType.request,
    maxFrameBytes: max,
    onFrame: (f) => frames.push(f),
    ...(oversize ? { onOversize: oversize } : {}),
  });
}

test('a request frame round-trips: method, path, headers (latin1) and body', () => {
  const body = Buffer.from([0, 1, 2, 255, 254]);
  const frames: Frame[] = [];
  assert.equal(decoder(frames).push(requestFrame(7, body)), null);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.id, 7);
  const req = decodeRequest(frames[0]!.payload);
  assert.deepEqual(
    { method: req.method, path: req.path, headers: req.headers, body: [...req.body] },
    { method: 'POST', path: '/v2/models/m/infer?x=1', headers, body: [...body] },
  );
});

test('a response frame round-trips; its headers and body are views into the frame', () => {
  const body = Buffer.from('{"outputs":[]}');
  const frame = Buffer.concat([encodeResponseHead(0xffffffff, 503, ['retry-after', '1'], body.length), body]);
  const frames: Frame[] = [];
  new FrameDecoder({ type: FrameType.response, maxFrameBytes: 1000, onFrame: (f) => frames.push(f) }).push(frame);
  assert.equal(frames[0]!.id, 0xffffffff);
  const res = decodeResponse(frames[0]!.payload);
  assert.equal(res.status, 503);
  assert.deepEqual(
    res.headers.map((h) => h.toString()),
    ['retry-after', '1'],
  );
  assert.equal(res.body.toString(), '{"outputs":[]}');
  assert.equal(res.body.buffer, frame.buffer, 'the body is not copied');
});

test('frames cut at every byte, and several in one chunk, decode the same', () => {
  const a = requestFrame(1, Buffer.alloc(40, 7));
  const b = requestFrame(2, Buffer.alloc(0));
  const c = requestFrame(3, Buffer.from('tail'));
  const all = Buffer.concat([a, b, c]);
  for (let cut1 = 0; cut1 <= all.length; cut1 += 3) {
    for (const cut2 of [cut1, Math.min(all.length, cut1 + 1), Math.min(all.length, cut1 + 20)]) {
      const frames: Frame[] = [];
      const d = decoder(frames);
      for (const part of [all.subarray(0, cut1), all.subarray(cut1, cut2), all.subarray(cut2)]) d.push(part);
      assert.deepEqual(
        frames.map((f) => [f.id, decodeRequest(f.payload).body.toString('hex')]),
        [
          [1, Buffer.alloc(40, 7).toString('hex')],
          [2, ''],
          [3, Buffer.from('tail').toString('hex')],
        ],
        `cut at ${cut1}, ${cut2}`,
      );
      assert.ok(d.idle);
    }
  }
});

test('one byte at a time: still whole frames, nothing held between them', () => {
  const all = Buffer.concat([requestFrame(9, Buffer.alloc(100, 1)), requestFrame(10, Buffer.alloc(3, 2))]);
  const frames: Frame[] = [];
  const d = decoder(frames);
  for (let i = 0; i < all.length; i++) {
    assert.equal(d.push(all.subarray(i, i + 1)), null);
    if (i < all.length - 1) assert.ok(frames.length < 2);
  }
  assert.deepEqual(
    frames.map((f) => f.id),
    [9, 10],
  );
  assert.ok(d.idle);
});

test('framing errors: a wrong type, a length shorter than id and type, an oversized frame; then nothing more', () => {
  const wrongType = requestFrame(1, Buffer.alloc(1));
  wrongType[8] = 9;
  const short = Buffer.from([0, 0, 0, 4, 0, 0, 0, 1, 1]);
  const big = requestFrame(1, Buffer.alloc(2000));
  const cases: Array<[Buffer, RegExp]> = [
    [wrongType, /frame type 9 where 1 was expected/],
    [short, /frame length 4 is shorter/],
    [big, /longer than the 1000 accepted/],
  ];
  for (const [bytes, message] of cases) {
    const frames: Frame[] = [];
    const d = decoder(frames, 1000);
    const err = d.push(Buffer.concat([requestFrame(5, Buffer.alloc(2)), bytes, requestFrame(6, Buffer.alloc(2))]));
    assert.ok(err instanceof FrameError);
    assert.match(err.message, message);
    assert.deepEqual(
      frames.map((f) => f.id),
      [5],
      'the frame before is delivered, none after',
    );
    assert.equal(d.push(requestFrame(7, Buffer.alloc(1))), err);
    assert.equal(frames.length, 1);
  }
});

test('with onOversize an oversized frame is reported by id and skipped as it comes, the next one decodes', () => {
  const frames: Frame[] = [];
  const over: Array<[number, number]> = [];
  const d = decoder(frames, 200, (id, n) => over.push([id, n]));
  const all = Buffer.concat([requestFrame(1, Buffer.alloc(5000)), requestFrame(2, Buffer.from('ok'))]);
  for (let i = 0; i < all.length; i += 333) assert.equal(d.push(all.subarray(i, i + 333)), null);
  assert.equal(over.length, 1);
  assert.equal(over[0]![0], 1);
  assert.equal(over[0]![1], requestFrame(1, Buffer.alloc(5000)).length - 4);
  assert.deepEqual(
    frames.map((f) => decodeRequest(f.payload).body.toString()),
    ['ok'],
  );
});

test('a payload whose fields run past its end is a FrameError; a bad status too', () => {
  const ok = encodeRequestHead(1, 'POST', '/p', ['a', 'b'], 0);
  assert.throws(() => decodeRequest(ok.subarray(9, ok.length - 1)), FrameError);
  const res = encodeResponseHead(1, 200, [], 0);
  res.writeUInt16BE(42, 9);
  assert.throws(() => decodeResponse(res.subarray(9)), /status 42/);
  assert.throws(() => encodeRequestHead(1, 'POST', '/p', ['x', 'y'.repeat(70_000)], 0), RangeError);
  assert.throws(() => encodeRequestHead(1, 'POST', '/p', ['odd'], 0), RangeError);
});
