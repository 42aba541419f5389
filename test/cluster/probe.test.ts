import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeTracker, probeWindowMs } from '../../src/cluster/replicas/probe.js';

test('a replica fails only after threshold consecutive failed probes', () => {
  const p = new ProbeTracker(3);
  assert.equal(p.record(false), 'suspect');
  assert.equal(p.record(false), 'suspect');
  assert.equal(p.record(false), 'failed');
});

test('one that fails a probe now and then is never declared failed', () => {
  const p = new ProbeTracker(3);
  const pattern = [true, false, true, false, false, true, false, true, true, false, false, true];
  for (const ok of pattern) assert.notEqual(p.record(ok), 'failed');
  assert.equal(p.failures, 0);
});

test('the probe window is threshold periods plus one timeout', () => {
  assert.equal(probeWindowMs({ periodMs: 500, timeoutMs: 200, failureThreshold: 3 }), 1700);
  assert.throws(() => new ProbeTracker(0), /at least 1/);
});
