// Adaptive batching's rule on a manual clock: an idle session runs at once, batches grow under a
// steady arrival rate, waiting pays only when the model's fixed cost per run is worth sharing, and
// the wait for company never exceeds batch_wait_timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import {
  ArrivalRate,
  BatchCostCurve,
  RunTimeScale,
  adaptiveWaitMs,
  waitGain,
} from '../../../src/common/batching/adaptive-batching.js';
import { BatchQueue, type BatchPolicy, type QueuedItem } from '../../../src/common/batching/batch-queue.js';

/** The demo model on one CPU thread: little fixed cost per run (~0.06 ms), ~0.045 ms a row. */
const cpuCurve = new BatchCostCurve([
  { rows: 1, ms: 0.1 },
  { rows: 2, ms: 0.15 },
  { rows: 8, ms: 0.42 },
  { rows: 32, ms: 1.5 },
]);
/** A GPU-like model: a run costs 4 ms whatever its size, plus 0.05 ms a row. */
const gpuCurve = new BatchCostCurve([1, 2, 4, 8, 16, 32].map((rows) => ({ rows, ms: 4 + 0.05 * rows })));
const adaptive: BatchPolicy = { maxBatchSize: 32, batchWaitMs: 10, batching: true, mode: 'adaptive' };

test('the cost curve interpolates between measured points, from c(0) = 0, and never decreases', () => {
  assert.equal(cpuCurve.costMs(0), 0);
  assert.ok(Math.abs(cpuCurve.costMs(0.5) - 0.05) < 1e-12, 'half a row: half a one-row run');
  assert.ok(Math.abs(cpuCurve.costMs(5) - 0.285) < 1e-12);
  assert.ok(Math.abs(cpuCurve.costMs(64) - (1.5 + 32 * (1.08 / 24))) < 1e-9, 'extended along the last slope');
  const noisy = new BatchCostCurve([
    { rows: 1, ms: 0.2 },
    { rows: 2, ms: 0.1 },
  ]);
  assert.equal(noisy.costMs(2), 0.2);
});

test('the arrival rate is measured from recent arrivals, and a silence lowers it', () => {
  const r = new ArrivalRate();
  assert.equal(r.rowsPerMs(0), 0);
  for (let t = 0; t <= 100; t += 2) r.record(t, 1);
  assert.ok(Math.abs(r.rowsPerMs(100) - 0.5) < 0.01, `${r.rowsPerMs(100)}`);
  assert.ok(r.rowsPerMs(200) < 0.25, 'after 100 ms of silence the rate has more than halved');
  assert.equal(r.rowsPerMs(5000), 0, 'arrivals older than a second are forgotten');
});

test('the worked example of the README: wait gain for the GPU-like curve at 0.5 rows/ms', () => {
  const input = { queuedRows: 1, rowsPerMs: 0.5, curve: gpuCurve, maxBatchSize: 32, waitLeftMs: 10 };
  // k = 1 row expected in 2 ms; S = c(1) + c(1) - c(2) = 4 ms; gain = 1·(4 - 2) - 1·(2 + 0.05) = -0.05
  assert.ok(Math.abs(waitGain(input, 2) - -0.05) < 1e-9);
  // k = 2 in 4 ms; S = c(1) + c(2) - c(3) = 4; gain = 2·(4 - 4) - 1·(4 + 0.1) = -4.1
  assert.ok(Math.abs(waitGain(input, 4) - -4.1) < 1e-9);
  // At 2 rows/ms: k = 2 in 1 ms; S = 4; gain = 2·(4 - 1) - 1·(1 + 0.1) = 4.9: waiting pays.
  assert.ok(Math.abs(waitGain({ ...input, rowsPerMs: 2 }, 1) - 4.9) < 1e-9);
  assert.ok(adaptiveWaitMs({ ...input, rowsPerMs: 2 }) > 0);
  assert.equal(adaptiveWaitMs(input), 0, 'at 0.5 rows/ms a row takes 2 ms to come: not worth it');
});

test('an idle session runs a lone request at once, whatever the curve', () => {
  for (const curve of [cpuCurve, gpuCurve]) {
    const clock = new ManualClock(1000);
    const q = new BatchQueue<QueuedItem>(16);
    const rate = new ArrivalRate();
    rate.record(clock.nowMs(), 1);
    q.offer({ rows: 1, priority: 0, enqueuedMs: clock.nowMs(), deadlineMs: Infinity });
    const d = q.decide(clock.nowMs(), adaptive, false, { rowsPerMs: rate.rowsPerMs(clock.nowMs()), curve });
    assert.equal(d.kind, 'run');
  }
  // Sparse traffic (one request every 50 ms) never waits either.
  assert.equal(
    adaptiveWaitMs({ queuedRows: 1, rowsPerMs: 0.02, curve: gpuCurve, maxBatchSize: 32, waitLeftMs: 10 }),
    0,
  );
  // Nor does the CPU demo model at 3,000 rows/s: its fixed cost per run is too small to wait for.
  assert.equal(adaptiveWaitMs({ queuedRows: 1, rowsPerMs: 3, curve: cpuCurve, maxBatchSize: 32, waitLeftMs: 10 }), 0);
  // Without a measured curve (before warm-up) it runs at once too.
  const q = new BatchQueue<QueuedItem>(4);
  q.offer({ rows: 1, priority: 0, enqueuedMs: 0, deadlineMs: Infinity });
  assert.equal(q.decide(0, adaptive, false, { rowsPerMs: 5, curve: undefined }).kind, 'run');
});

interface Sim {
  batches: number[];
  /** Per run: how long its oldest request waited for company while the session was free (ms). */
  companyWaitsMs: number[];
  /** Every wait decision's untilMs minus (oldest enqueue + batchWaitMs): never positive. */
  worstOvershootMs: number;
  /** Requests completed. */
  completed: number;
}

/**
 * Drives the core like the batcher shell does, on a manual clock: the session is busy for
 * curve.costMs(rows) per run. Open loop: one row every 1/rowsPerMs ms. Closed loop (`clients`):
 * each client sends its next row `thinkMs(i)` after its answer.
 */
function simulate(
  load: { rowsPerMs: number } | { clients: number; thinkMs: (i: number) => number },
  curve: BatchCostCurve,
  policy: BatchPolicy,
  durationMs = 2000,
): Sim {
  const clock = new ManualClock();
  const q = new BatchQueue<QueuedItem & { client: number }>(100_000);
  const rate = new ArrivalRate();
  const out: Sim = { batches: [], companyWaitsMs: [], worstOvershootMs: -Infinity, completed: 0 };
  // Arrivals in time order, consumed from `head`: sorting or shifting the whole list every step
  // made a 2 s open-loop run at 90% of capacity (~40,000 arrivals) quadratic, minutes on a busy CPU.
  const due: Array<{ atMs: number; client: number }> = [];
  let head = 0;
  const arrive = (a: { atMs: number; client: number }) => {
    let i = due.length;
    while (i > head && due[i - 1]!.atMs > a.atMs) i--;
    due.splice(i, 0, a);
  };
  if ('rowsPerMs' in load) for (let t = 0; t < durationMs; t += 1 / load.rowsPerMs) due.push({ atMs: t, client: 0 });
  else for (let i = 0; i < load.clients; i++) arrive({ atMs: load.thinkMs(i), client: i });
  let busyUntilMs = -1;
  let running: Array<{ client: number }> = [];
  let freeSinceMs = 0;
  let waitUntilMs = Infinity;
  let justFreed = false;
  const queuedAtMs: number[] = []; // enqueue times in queue order (one priority: FIFO)
  while (clock.nowMs() < durationMs) {
    const t = Math.min(due[head]?.atMs ?? Infinity, busyUntilMs >= 0 ? busyUntilMs : waitUntilMs);
    if (t === Infinity) break;
    clock.set(t);
    while (head < due.length && due[head]!.atMs <= t) {
      const a = due[head++]!;
      q.offer({ rows: 1, priority: 0, enqueuedMs: t, deadlineMs: Infinity, client: a.client });
      rate.record(t, 1);
      queuedAtMs.push(t);
    }
    if (busyUntilMs >= 0 && t >= busyUntilMs) {
      busyUntilMs = -1;
      justFreed = true;
      freeSinceMs = t;
      out.completed += running.length;
      if ('clients' in load) for (const r of running) arrive({ atMs: t + load.thinkMs(r.client), client: r.client });
      running = [];
    }
    if (busyUntilMs >= 0) continue;
    const oldestMs = queuedAtMs[0] ?? Infinity;
    const d = q.decide(t, policy, justFreed, { rowsPerMs: rate.rowsPerMs(t), curve });
    justFreed = false;
    if (d.kind === 'run') {
      out.batches.push(d.rows);
      queuedAtMs.splice(0, d.items.length);
      out.companyWaitsMs.push(t - Math.max(oldestMs, freeSinceMs));
      busyUntilMs = t + curve.costMs(d.rows);
      running = d.items;
      waitUntilMs = Infinity;
    } else if (d.kind === 'wait') {
      out.worstOvershootMs = Math.max(out.worstOvershootMs, d.untilMs - (oldestMs + policy.batchWaitMs));
      waitUntilMs = d.untilMs;
    } else waitUntilMs = Infinity;
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('under a steady arrival rate batches grow with the rate, and the wait never exceeds batch_wait_timeout', () => {
  for (const curve of [cpuCurve, gpuCurve]) {
    const capacity = 32 / curve.costMs(32); // rows/ms at full batches
    const sizes = [0.02, 0.5, 0.9].map((share) => {
      const sim = simulate({ rowsPerMs: share * capacity }, curve, adaptive);
      assert.ok(
        Math.max(...sim.companyWaitsMs) <= adaptive.batchWaitMs + 1e-9,
        `waited ${Math.max(...sim.companyWaitsMs)} ms for company`,
      );
      assert.ok(sim.worstOvershootMs <= 1e-9, `a wait ran ${sim.worstOvershootMs} ms past batch_wait_timeout`);
      return mean(sim.batches);
    });
    assert.ok(sizes[0]! < 1.2, `light load runs alone: mean batch ${sizes[0]}`);
    assert.ok(
      sizes[1]! >= sizes[0]! && sizes[2]! > sizes[1]!,
      `batches grow with the rate: ${sizes.map((s) => s.toFixed(2)).join(' < ')}`,
    );
    assert.ok(sizes[2]! >= 2, `at 90% of capacity batches hold several rows: ${sizes[2]}`);
  }
});

test('with 16 closed-loop clients the GPU-like model waits for company (never losing); the CPU model never waits and beats fixed 3x', () => {
  // Answers go out together and the next requests trickle back over ~1 ms: running the first one
  // alone would hold the other fifteen behind a whole 4 ms run.
  const clients = { clients: 16, thinkMs: (i: number) => 0.3 + i * 0.05 };
  const greedy = { ...adaptive, batchWaitMs: 0 };
  const gpu = simulate(clients, gpuCurve, adaptive);
  const gpuGreedy = simulate(clients, gpuCurve, greedy);
  assert.ok(Math.max(...gpu.companyWaitsMs) > 0, 'some runs waited for more rows');
  assert.ok(Math.max(...gpu.companyWaitsMs) <= adaptive.batchWaitMs + 1e-9);
  assert.ok(
    gpu.completed >= gpuGreedy.completed,
    `waiting completed ${gpu.completed} vs ${gpuGreedy.completed} running at once`,
  );
  const cpu = simulate(clients, cpuCurve, adaptive);
  assert.equal(
    Math.max(...cpu.companyWaitsMs),
    0,
    'the CPU model never waits: it runs whatever queued during the last run',
  );
  const fixed = simulate(clients, cpuCurve, { ...adaptive, mode: 'fixed' });
  assert.ok(
    cpu.completed > 3 * fixed.completed,
    `adaptive ${cpu.completed} vs fixed ${fixed.completed} requests in 2 s`,
  );
});

test('fixed mode keeps the old behaviour: a lone request waits the whole batch_wait_timeout', () => {
  const sim = simulate({ rowsPerMs: 0.01 }, cpuCurve, { ...adaptive, mode: 'fixed' }, 1000);
  assert.ok(
    sim.companyWaitsMs.every((w) => Math.abs(w - 10) < 1e-9),
    `${sim.companyWaitsMs.slice(0, 5).join(', ')}`,
  );
});

test('runs that take longer than the warm-up curve says (a shared CPU) scale the cost, and waiting pays sooner', () => {
  const scale = new RunTimeScale();
  for (let i = 0; i < 100; i++) scale.record(gpuCurve, 4, 3 * gpuCurve.costMs(4));
  assert.ok(Math.abs(scale.value - 3) < 0.01, `${scale.value}`);
  for (let i = 0; i < 100; i++) scale.record(gpuCurve, 4, 1000 * gpuCurve.costMs(4));
  assert.ok(scale.value <= 50, 'clamped');
  // 0.3 rows/ms: a 4 ms fixed cost is not worth waiting for, a 12 ms one (three times slower runs) is.
  const input = { queuedRows: 1, rowsPerMs: 0.3, curve: gpuCurve, maxBatchSize: 32, waitLeftMs: 10 };
  assert.equal(adaptiveWaitMs(input), 0);
  assert.ok(adaptiveWaitMs({ ...input, costScale: 3 }) > 0);
});

test("with a full batch's worth in flight from the gateway, adaptive mode fills the batch (up to batch_wait_timeout); with less it runs at once", () => {
  const q = new BatchQueue<QueuedItem>(100);
  const one = (atMs: number) => q.offer({ rows: 1, priority: 0, enqueuedMs: atMs, deadlineMs: Infinity });
  one(0);
  assert.equal(
    q.decide(0, adaptive, true, { rowsPerMs: 1, curve: cpuCurve, gatewayInflight: 8 }).kind,
    'run',
    '8 in flight (a closed loop of 8): run what is here',
  );
  one(0);
  assert.deepEqual(
    q.decide(0, adaptive, true, { rowsPerMs: 1, curve: cpuCurve, gatewayInflight: 40 }),
    { kind: 'wait', untilMs: 10 },
    '40 in flight: wait for company, even right after a run',
  );
  for (let i = 1; i < 32; i++) one(1);
  const full = q.decide(1, adaptive, false, { rowsPerMs: 1, curve: cpuCurve, gatewayInflight: 40 });
  assert.equal(full.kind === 'run' && full.rows, 32, 'a full batch runs at once');
  one(2);
  assert.equal(
    q.decide(12, adaptive, false, { rowsPerMs: 1, curve: cpuCurve, gatewayInflight: 40 }).kind,
    'run',
    'never past batch_wait_timeout',
  );
});
