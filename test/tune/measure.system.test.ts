// One tune measurement against a real loopback OIP server: a window in which the load generator's
// own event loop was stalled (the self-audit says it fell behind) is dropped, counted and named,
// not a sample; when every window is dropped the measurement is unsure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeProbe } from '../../src/tune/decision.js';
import { measureAt, type MeasureSettings } from '../../src/tune/measure.js';
import { startFakeServer } from '../loadtest/oip-server.js';

/** Stalls this thread's event loop 40 ms in every 60 until the returned function is called. */
function stallLoop(): () => void {
  const timer = setInterval(() => {
    const end = performance.now() + 40;
    while (performance.now() < end);
  }, 60);
  return () => clearInterval(timer);
}

test('a window in which the generator fell behind is dropped from the measurement and counted', async (t) => {
  // 100 ms answers: the audit allows 10 ms of the generator's own lag (10% of the median).
  const server = await startFakeServer({ delayMs: 100 });
  t.after(() => server.close());
  const s: MeasureSettings = {
    url: server.url,
    model: 'tiny',
    windowMs: 400,
    maxWindows: 6,
    warmupMs: 0,
    timeoutMs: 2000,
    connections: 16,
    targets: { p99Ms: 1000 },
  };
  let unstall: (() => void) | undefined;
  t.after(() => unstall?.());
  // The second window runs with the loop stalled.
  const probe = await measureAt(s, 50, undefined, (n) => {
    if (n === 1) unstall = stallLoop();
    if (n === 2) unstall?.();
  });
  assert.ok(probe.droppedWindows! >= 1, `dropped ${probe.droppedWindows} of ${probe.windows}`);
  assert.match(probe.droppedReason!, /the generator's event loop was delayed [\d.]+ms at p99/);
  assert.ok(probe.windows >= 4, 'three kept windows besides the dropped one, when stable');
  assert.ok(probe.checks!.some((c) => c.metric === 'p99'));

  unstall = stallLoop();
  const behind = await measureAt({ ...s, maxWindows: 3 }, 50);
  unstall();
  assert.equal(behind.droppedWindows, 3);
  assert.equal(behind.windows, 3);
  assert.equal(behind.stable, false);
  assert.deepEqual(judgeProbe(behind, 'cost'), {
    confidence: 'unsure',
    by: 'the load generator fell behind in 3 of 3 windows',
  });
});
