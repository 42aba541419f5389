// Autoscaling and schedules live, through a real gateway in front of fake batching replicas: a step
// of load scales up within the upscale delay plus a start, and back down after the downscale delay,
// with no failed request (bench/autoscale-sim.ts keeps the longer step and measures how closely the
// simulator predicts the same replica counts from the same trace);
// a schedule switch under load prewarms, changes the bounds and (live, no replica replaced) the
// batch size, and fails nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type ClusterHandle } from '../../src/cluster/controller/controller.js';
import type { ClusterStatus } from '../../src/common/cluster-status.js';
import { cliEntry } from '../helpers/paths.js';
import { laps } from '../helpers/laps.js';
import { fakeCli, tempWorld, testProfile, waitFor, watchedCluster } from './helpers.js';
import { startLoad } from './load.js';
import { openLoad } from './open-load.js';

const INFER_MS = 50;

/** The profile's env: of fake replicas that batch like the real ones behind the real gateway. */
const fakeBatchingReplicas = { FAKE_REAL_CLI: cliEntry, FAKE_INFER_MS: String(INFER_MS), FAKE_BATCHING: '1' };

/** Starts a cluster in a new temp world; cleanup stops it and kills every pid it ever reported. */
async function start(
  t: { after(fn: () => unknown): void },
  run: (w: ReturnType<typeof tempWorld>) => Promise<ClusterHandle>,
) {
  const w = tempWorld();
  return watchedCluster(t, w, () => run(w));
}

const ready = (s: ClusterStatus) => s.replicas.filter((r) => r.state === 'ready').length;

test('a step of load scales up within the upscale delay plus a start, down after the downscale delay, fails nothing', async (t) => {
  const lap = laps(t);
  // One replica runs 4 rows per 50 ms: 80 req/s. 20 req/s keeps about 1 in flight (1 replica);
  // 150 req/s needs 2-3 replicas once the backlog of the first seconds is served.
  const profile = (registry: string) =>
    testProfile(registry, {
      replicas: { min: 1, max: 5, initial: 1 },
      autoscaling: {
        enabled: true,
        targetOngoingRequests: 4,
        upscaleDelayMs: 1000,
        downscaleDelayMs: 2000,
        metricsIntervalMs: 200,
        lookbackMs: 1000,
        latencyGuard: false,
      },
      batching: { maxBatchSize: 4, batchWaitMs: 2, maxQueuedRequests: 64 },
      gateway: { requestTimeoutMs: 8000, maxQueuedRequests: 1024 },
      env: fakeBatchingReplicas,
    });
  const { h, status } = await start(t, (w) =>
    startCluster(profile(w.registry), { stateDir: w.stateDir, cliEntry: fakeCli }),
  );
  lap('cluster started');
  // Long enough for one scale-up and, after the step, one scale-down (the rest of the wait for it
  // runs without load); the simulator's agreement over a longer step is bench/autoscale-sim.ts.
  // (The step is 4 s: replicas were asked for and ready about 2 s into it on the quiet machine.)
  const plan = [
    { seconds: 2, ratePerSec: 20 },
    { seconds: 4, ratePerSec: 150 },
    { seconds: 1, ratePerSec: 20 },
  ];
  const stepS = plan[0]!.seconds;
  const load = openLoad(`${h.gatewayUrl}/v2/models/demo/infer`, plan);
  const samples: Array<{ atS: number; desired: number; ready: number }> = [];
  const sampler = setInterval(() => {
    const s = status();
    samples.push({ atS: (performance.now() - load.startedAt) / 1000, desired: s.desiredReplicas, ready: ready(s) });
  }, 100);
  const result = await load.done;
  clearInterval(sampler);
  lap('load done');

  await waitFor('back to 1 replica', () => status().desiredReplicas === 1, 10_000);
  lap('back to 1 replica');
  // When the policy scaled: the first second the step asked for more, the first one ready.
  const asked = samples.find((x) => x.atS > stepS && x.desired > 1);
  const up = samples.find((x) => x.atS > stepS && x.ready > 1);
  const startS = up && asked ? up.atS - asked.atS : 0.5;
  const report = `sent ${result.sentPerSecond.join(' ')}\nlive ${samples
    .filter((_, i) => i % 10 === 0)
    .map((x) => x.desired)
    .join(' ')}\nreplica start ${startS.toFixed(2)}s`;
  t.diagnostic(report);

  assert.deepEqual(
    result.failures,
    [],
    `${result.failures.length} of ${result.ok + result.failures.length} requests failed`,
  );
  // Up: the step starts at stepS; ready replicas follow within the upscale delay (1 s), the
  // look-back window's first rise (at most 1 s) and one start.
  assert.ok(up && asked, `never scaled up: ${report}`);
  assert.ok(
    up.atS - stepS <= 1 + 1 + startS + 0.3,
    `ready above 1 at ${up.atS.toFixed(2)}s (asked at ${asked.atS.toFixed(2)}s)`,
  );
  // Every change waited out its delay: each applied decision follows the record of the wait that
  // led to it (logged when the policy first wanted that direction) by at least that delay.
  const decisions = status().autoscaling.decisions.filter((d) => d.by === 'policy');
  const applied = decisions.filter((d) => d.action === 'apply');
  assert.ok(
    applied.some((d) => d.to > d.from) && applied.some((d) => d.to < d.from),
    `${report}\n${JSON.stringify(decisions)}`,
  );
  for (const a of applied) {
    const i = decisions.indexOf(a);
    const waited = decisions
      .slice(0, i)
      .reverse()
      .find((d) => d.action !== (a.to > a.from ? 'up' : 'down') || d.from !== a.from);
    const first = decisions
      .slice(waited ? decisions.indexOf(waited) + 1 : 0, i)
      .find((d) => d.action === (a.to > a.from ? 'up' : 'down'));
    assert.ok(first, `no wait logged before ${JSON.stringify(a)}`);
    const heldMs = Date.parse(a.at) - Date.parse(first.at);
    assert.ok(heldMs >= (a.to > a.from ? 1000 : 2000) - 250, `${a.from} -> ${a.to} after ${heldMs} ms of waiting`);
  }
  assert.equal(status().desiredReplicas, 1);
  assert.ok(status().autoscaling.history.length >= 2);
});

test('a schedule switch under load: prewarmed before the open, new bounds and batching at it, drained after the close, nothing failed', async (t) => {
  const lap = laps(t);
  // The schedule has whole seconds: the window opens on the second at least 4 s ahead, and stays
  // open 4 s (busy's batch size reached every replica within about 0.5 s of the switch).
  const openAt = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
  const closeAt = new Date(openAt.getTime() + 4000);
  const hhmmss = (d: Date) => d.toISOString().slice(11, 19);
  const base = {
    autoscaling: {
      enabled: true,
      targetOngoingRequests: 4,
      upscaleDelayMs: 1000,
      downscaleDelayMs: 1000,
      metricsIntervalMs: 200,
      lookbackMs: 1000,
      latencyGuard: false,
    },
    env: fakeBatchingReplicas,
  };
  let quietName = '';
  const { h, status } = await start(t, (w) => {
    const quiet = {
      ...testProfile(w.registry, {
        ...base,
        replicas: { min: 1, max: 2, initial: 1 },
        batching: { maxBatchSize: 4, batchWaitMs: 2, maxQueuedRequests: 64 },
      }),
      name: 'quiet',
    };
    const busy = {
      ...testProfile(w.registry, {
        ...base,
        replicas: { min: 3, max: 4, initial: 3 },
        batching: { maxBatchSize: 8, batchWaitMs: 2, maxQueuedRequests: 64 },
      }),
      name: 'busy',
    };
    quietName = quiet.name;
    const schedule = {
      timezone: 'UTC',
      default: 'quiet',
      closedDates: [],
      earlyClose: {},
      windows: [
        {
          profile: 'busy',
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const,
          from: hhmmss(openAt),
          to: hhmmss(closeAt),
          prewarmMs: 2000,
        },
      ],
    };
    return startCluster(quiet, {
      stateDir: w.stateDir,
      cliEntry: fakeCli,
      schedule: {
        name: 'day',
        sourcePath: '',
        schedule: { ...schedule, windows: schedule.windows.map((x) => ({ ...x, days: [...x.days] })) },
        profiles: { quiet, busy },
      },
    });
  });
  assert.equal(status().schedule?.active, quietName);
  assert.equal(status().schedule?.next?.profile, 'busy');
  const load = startLoad(`${h.gatewayUrl}/v2/models/demo/infer`, {
    workers: 3,
    maxMs: 25_000,
    maxRequests: 100_000,
    pauseMs: 5,
  });
  const samples: Array<{ atS: number; profile: string; desired: number; ready: number; min: number; pids: number[] }> =
    [];
  const sampler = setInterval(() => {
    const s = status();
    samples.push({
      atS: (Date.now() - openAt.getTime()) / 1000,
      profile: s.profile.name,
      desired: s.desiredReplicas,
      ready: ready(s),
      min: s.autoscaling.minReplicas,
      pids: s.replicas.map((r) => r.pid!).filter(Boolean),
    });
  }, 100);
  t.after(() => clearInterval(sampler));
  const settingsOf = async (s: ClusterStatus) =>
    Promise.all(
      s.replicas
        .filter((r) => r.state === 'ready')
        .map(
          async (r) =>
            ((await (await fetch(`${r.url}/fake/settings`)).json()) as { maxBatchSize: number }).maxBatchSize,
        ),
    );

  // Open: three replicas ready before the switch (prewarm from 2 s ahead), then busy's bounds and,
  // replica by replica, its batch size.
  await waitFor('the switch to busy', () => status().profile.name === 'busy', 10_000);
  lap('switched to busy');
  const readyAt = samples.find((x) => x.ready >= 3);
  assert.ok(readyAt && readyAt.atS < 0.2, `3 ready at ${readyAt?.atS.toFixed(2)}s, after the switch`);
  assert.ok(
    samples.filter((x) => x.atS < -2.3).every((x) => x.desired === 1),
    `no prewarm before its time: ${JSON.stringify(samples.filter((_, i) => i % 3 === 0))}`,
  );
  assert.equal(status().autoscaling.minReplicas, 3);
  assert.equal(status().schedule?.active, 'busy');
  await waitFor(
    "every replica on busy's batch size",
    async () => (await settingsOf(status())).every((b) => b === 8) && ready(status()) >= 3,
    10_000,
  );
  lap("every replica on busy's batch size");
  // A batch size is a live setting: the replicas running before the switch took it, none was replaced.
  const before = new Set(samples.filter((x) => x.atS < -0.3).flatMap((x) => x.pids));
  const after = status().replicas.map((r) => r.pid!);
  assert.deepEqual(
    after.filter((pid) => !before.has(pid)),
    [],
    `replicas started at the switch: ${JSON.stringify({ before: [...before], after })}`,
  );
  // Close: quiet's bounds, at most 2 replicas, its batch size.
  await waitFor('the switch back to quiet', () => status().profile.name === 'quiet', 10_000);
  lap('switched back to quiet');
  await waitFor(
    "at most 2 replicas on quiet's batch size",
    async () => {
      const s = status();
      return (
        s.desiredReplicas <= 2 &&
        s.replicas.every((r) => r.state === 'ready') &&
        (await settingsOf(s)).every((b) => b === 4)
      );
    },
    12_000,
  );
  lap("at most 2 replicas on quiet's batch size");
  await load.moreOk(50);
  const result = await load.stop();
  assert.deepEqual(
    result.failures,
    [],
    `${result.failures.length} of ${result.ok + result.failures.length} requests failed`,
  );
  const log = status()
    .autoscaling.decisions.filter((d) => d.by === 'schedule')
    .map((d) => d.action);
  assert.deepEqual(log.slice(0, 1), ['apply'], 'the prewarm is recorded first');
  // `serve scale N` pins until `serve scale auto`.
  await h.scale(2);
  assert.equal(status().autoscaling.pinned, 2);
  assert.equal(status().autoscaling.active, false);
  await h.scaleAuto();
  assert.equal(status().autoscaling.pinned, undefined);
  assert.equal(status().autoscaling.active, true);
});
