// The holder's copies of its serving processes' connections (gateway/holder/kept.ts): only the owner's
// word closes one, a killed owner's go to the next process (or close where they cannot be sent), and
// dropping closes an owner's or all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeepIpc, keepMessage, KeptConnections } from '../../src/gateway/holder/kept.js';

const handle = () => {
  const h = { closes: 0, close: () => void h.closes++ };
  return h;
};

test('a copy closes when its owner says so, not when another process does', () => {
  const k = new KeptConnections<string>();
  const h = handle();
  k.lent('a', 'a.1', h);
  k.closed('b', 'a.1');
  assert.equal(h.closes, 0);
  assert.equal(k.size, 1);
  k.closed('a', 'a.1');
  assert.equal(h.closes, 1);
  assert.equal(k.size, 0);
  k.closed('a', 'a.1'); // twice, or an id never lent: nothing
  k.closed('a', 'a.9');
  assert.equal(h.closes, 1);
});

test("a killed owner's copies pass to the next process; one that cannot be sent is closed", () => {
  const k = new KeptConnections<string>();
  const [h1, h2, h3] = [handle(), handle(), handle()];
  k.lent('a', 'a.1', h1);
  k.lent('a', 'a.2', h2);
  k.lent('c', 'c.1', h3);
  const sent: string[] = [];
  const given = k.pass('a', 'b', (id) => (id === 'a.2' ? false : (sent.push(id), true)));
  assert.equal(given, 1);
  assert.deepEqual(sent, ['a.1']);
  assert.deepEqual([h1.closes, h2.closes, h3.closes], [0, 1, 0]);
  k.closed('a', 'a.1'); // the dead owner's late word no longer counts
  assert.equal(h1.closes, 0);
  k.closed('b', 'a.1');
  assert.equal(h1.closes, 1);
});

test("drop closes an owner's copies, or all; a handle that is not one is ignored", () => {
  const k = new KeptConnections<string>();
  const [h1, h2] = [handle(), handle()];
  k.lent('a', 'a.1', h1);
  k.lent('b', 'b.1', h2);
  k.lent('a', 'a.2', undefined);
  k.lent('a', 'a.3', { notAHandle: true });
  assert.equal(k.size, 2);
  k.drop('a');
  assert.deepEqual([h1.closes, h2.closes], [1, 0]);
  k.drop();
  assert.deepEqual([h1.closes, h2.closes], [1, 1]);
  assert.equal(k.size, 0);
});

test('keepMessage reads only our three messages', () => {
  assert.deepEqual(keepMessage({ type: KeepIpc.lend, id: '1.2' }), { type: 'conn', id: '1.2' });
  assert.equal(keepMessage({ type: 'conn' }), undefined);
  assert.equal(keepMessage('socket?'), undefined);
  assert.equal(keepMessage({ type: 'other', id: 'x' }), undefined);
  assert.equal(keepMessage(null), undefined);
});
