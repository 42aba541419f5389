// The autoscaler's decision period is the documented metrics_interval even when scrapes take time:
// its loop ticks on due times (a slow scrape neither stretches the period nor overlaps the next),
// each scrape's timeout is inside the interval, and a delay is held for whole periods ("held
// 10.0s", as the simulator says, not 10.0 s plus scrape times).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { ManualClock, delay, everyDue } from '../../src/common/clock.js';
import { AutoscaleLoop, scrapeTimeoutMs } from '../../src/cluster/autoscale/index.js';
import { InForce } from '../../src/cluster/in-force.js';
import { defaultProfile } from '../../src/profile/defaults.js';

/** Advances the manual clock in 50 ms steps, letting promises settle between them. */
async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.advance(50);
    await flush();
  }
}

test('everyDue calls on due times a period apart whatever each call takes, skipping the ones a long call overran', async () => {
  const clock = new ManualClock();
  const calls: Array<[at: number, due: number]> = [];
  const stop = everyDue(clock, 1000, async (dueMs) => {
    calls.push([clock.nowMs(), dueMs]);
    // The third call takes 1.6 s: the due time at 4000 passes while it runs.
    await delay(clock, calls.length === 3 ? 1600 : 300);
  });
  await run(clock, 6000);
  stop();
  await run(clock, 2000);
  assert.deepEqual(calls, [
    [1000, 1000],
    [2000, 2000],
    [3000, 3000],
    [5000, 5000],
    [6000, 6000],
  ]);
});

test("the loop samples every metrics_interval with a slow scrape, inside the interval's timeout, and a delay holds for whole periods", async () => {
  const clock = new ManualClock();
  const profile = defaultProfile({
    replicas: { min: 1, max: 2, initial: 1 },
    autoscaling: { enabled: true, targetOngoingRequests: 1, upscaleDelayMs: 10_000, metricsIntervalMs: 1000 },
  });
  const scrapes: Array<{ atMs: number; timeoutMs: number }> = [];
  let applied: number | undefined;
  const loop = new AutoscaleLoop(new InForce(profile, 1), {
    clock,
    wallNowMs: () => clock.nowMs(),
    target: {
      get desired() {
        return applied ?? 1;
      },
      ready: 1,
      rolling: false,
      setReplicas: (n) => (applied = n),
      // Scrapes that take 600 ms, then 300 ms: 3 requests in flight, over the target of 1.
      sampleLoad: async (timeoutMs) => {
        scrapes.push({ atMs: clock.nowMs(), timeoutMs });
        await delay(clock, scrapes.length === 1 ? 600 : 300);
        return { inFlight: 3, queued: 0 };
      },
    },
    gatewayMetrics: () => Promise.resolve(undefined),
    log: { debug() {}, info() {}, warn() {}, error() {} } as never,
    emit() {},
  });
  loop.start();
  await run(clock, 12_000);
  loop.stop();
  assert.deepEqual(
    scrapes.map((s) => s.atMs),
    Array.from({ length: 12 }, (_, i) => (i + 1) * 1000),
  );
  assert.ok(
    scrapes.every((s) => s.timeoutMs < 1000),
    'every scrape ends before the next is due',
  );
  assert.equal(applied, 2);
  const apply = loop.decisions.find((d) => d.action === 'apply')!;
  assert.match(apply.reason, /scaling up 1 -> 2 \(held 10\.0s\)/);
  assert.ok(scrapeTimeoutMs(200) < 200 && scrapeTimeoutMs(10_000) === 1000);
});
