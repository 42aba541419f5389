// A new replica held out of routing by a step's canary scale (idle since its warmup, so cold again)
// is warmed again before it rejoins routing, and the step's time and windows start only once it is
// routed warm: the runner on a manual clock with a world (rollout-world.ts) where a held replica
// routed again unwarmed answers slowly for its first seconds. Also: the rejoin warmup is bounded,
// an abort during it routes nothing, and the pure parts (which replicas rejoin; warmReplica's bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import type { RolloutStatus } from '../../src/common/rollout.js';
import { RolloutRunner } from '../../src/cluster/rollout/runner.js';
import { REJOIN_WARMUP_LIMIT_MS, rejoining } from '../../src/cluster/rollout/step-start.js';
import { WARMUP, warmReplica } from '../../src/cluster/rollout/warmup.js';
import { SAME, request, runFor, world } from './rollout-world.js';

const log = (s: RolloutStatus) => s.decisions.map((d) => `${d.kind}: ${d.message}`).join('\n');
const judged = (s: RolloutStatus, step: number) => s.decisions.find((d) => d.step === step && d.judgement);

test('rejoining: the replicas a step routes that the step before held', () => {
  assert.deepEqual(rejoining(['r4'], { routed: ['r3', 'r4'] }), ['r4']);
  assert.deepEqual(rejoining([], { routed: ['r3', 'r4'] }), [], 'step 1: every new replica was just warmed');
  assert.deepEqual(rejoining(['r5', 'r6'], { routed: ['r3', 'r4', 'r5'] }), ['r5'], 'r6 is still held');
});

test('runner: the held replica is warmed again before it rejoins at step 2; step 2 is judged from then, on routed seconds only', async () => {
  // Each warmup takes 2 s; a held replica routed again unwarmed answers mostly over 100 ms for 3 s.
  const w = world({ newShape: SAME, warmMs: 2000, coldMs: 3000 });
  const runner = new RolloutRunner(w.host);
  await runner.start(request);
  await runFor(w.clock, 8300);
  // Step 1 (routed at 2.0 s, after the first warmup) passed at 8.0 s: r4 is being warmed again, held.
  assert.equal(w.warms.length, 2, log(runner.status()!));
  assert.deepEqual(w.warms[1]!.ids, ['r4']);
  assert.deepEqual(w.warms[1]!.heldThen, ['r4'], 'warmed while the gateway still held it: no routed request');
  assert.deepEqual(w.calls.at(-1), { weights: { 1: 75, 2: 25 }, held: ['r4'] }, 'step 1 traffic meanwhile');
  await runFor(w.clock, 2000);
  const rejoinedAtMs = w.warms[1]!.endedAtMs!;
  assert.ok(w.warms[1]!.atMs >= 8000 && rejoinedAtMs === w.warms[1]!.atMs + 2000, String(rejoinedAtMs));
  // Routed once warm: the step-2 weights went out when the warmup ended, not before.
  assert.deepEqual(w.calls[2], { weights: { 1: 50, 2: 50 }, held: [] });
  assert.equal(w.callsAtMs[2], rejoinedAtMs);
  let s = runner.status()!;
  const warmup = s.decisions.filter((d) => d.kind === 'warmup').at(-1)!;
  assert.equal(warmup.step, 2);
  assert.match(warmup.message, /^step 2: r4 rejoins routing, warmed again first: warmed r4 \(2\.0 s\)$/);
  // --step-time counts from the routing: 6 s after it (16.0 s), not after step 1's pass.
  await runFor(w.clock, 5500);
  assert.deepEqual([runner.status()!.step, judged(runner.status()!, 2)], [2, undefined], log(runner.status()!));
  await runFor(w.clock, 400);
  s = runner.status()!;
  const step2 = judged(s, 2)!;
  assert.equal(step2.kind, 'passed', log(s));
  // Its samples are the 6 routed seconds at 50% of 1,000 req/s (3,000), not also the 2 s of warmup
  // (at step 1's 25%: 500 more).
  assert.ok(Math.abs(step2.judgement!.samples.new - 3000) <= 60, JSON.stringify(step2.judgement!.samples));
  await runFor(w.clock, 7000);
  assert.equal(runner.status()!.phase, 'completed', log(runner.status()!));
  assert.equal(w.warms.length, 2, 'the 100% step routes no replica that step 2 held: no third warmup');
  runner.close();
});

test('runner: the same world with no warmup to give: the cold rejoin shows in step 2 (what the rewarm removes)', async () => {
  // The control for the test above: the world's cold replica is slow enough that judging it cold
  // does not pass step 2 at its end.
  const w = world({ newShape: SAME, coldMs: 3000 });
  const runner = new RolloutRunner(w.host);
  await runner.start(request);
  await runFor(w.clock, 12_300);
  const s = runner.status()!;
  assert.equal(judged(s, 1)?.kind, 'passed', log(s));
  assert.notEqual(judged(s, 2)?.kind, 'passed', log(s));
  runner.close();
});

test('runner: a rejoin warmup that does not end is stopped at its limit, and the step is routed and timed from then', async () => {
  const w = world({ newShape: SAME, warmMs: 0, warmHangs: true });
  const runner = new RolloutRunner(w.host);
  await runner.start(request);
  await runFor(w.clock, 6300);
  const rejoin = w.warms[1]!;
  assert.deepEqual([rejoin.ids, rejoin.stop?.aborted], [['r4'], false]);
  await runFor(w.clock, REJOIN_WARMUP_LIMIT_MS - 400);
  assert.equal(w.calls.length, 2, 'still step 1 traffic');
  await runFor(w.clock, 400);
  assert.equal(rejoin.stop?.aborted, true, 'told to send no more');
  assert.equal(w.callsAtMs[2], rejoin.atMs + REJOIN_WARMUP_LIMIT_MS);
  const warmup = runner
    .status()!
    .decisions.filter((d) => d.kind === 'warmup')
    .at(-1)!;
  assert.match(
    warmup.message,
    /^step 2: r4 rejoins routing, warmed again first: not done within 10 s: stopped, routed/,
  );
  await runFor(w.clock, 6200);
  assert.equal(judged(runner.status()!, 2)?.kind, 'passed', log(runner.status()!));
  runner.close();
});

test('runner: an abort during the rejoin warmup rolls back and routes nothing to step 2', async () => {
  const w = world({ newShape: SAME, warmMs: 2000 });
  const runner = new RolloutRunner(w.host);
  await runner.start(request);
  await runFor(w.clock, 8300);
  assert.equal(w.warms.length, 2);
  runner.abort();
  await runFor(w.clock, 3000);
  const s = runner.status()!;
  assert.equal(s.phase, 'rolled-back', log(s));
  assert.ok(!w.calls.some((c) => c.weights?.[2] === 50), JSON.stringify(w.calls));
  assert.ok(!s.decisions.some((d) => d.kind === 'step' && d.step === 2), log(s));
  runner.close();
});

test('warmReplica: bounded by its time limit within a slow round, and by its stop signal', async () => {
  // 400 ms a request: a round of 20 takes 8 s, longer than the 5 s limit. The time is checked
  // before each request: 13 requests (the last starting at 4.8 s), done at 5.2 s, not settled.
  const clock = new ManualClock(0);
  const slow = await warmReplica({ id: 'r4', infer: async () => (clock.advance(400), { ok: true }) }, clock);
  assert.deepEqual([slow.settled, slow.requests, slow.settledMs, clock.nowMs()], [false, 13, 400, 5200]);
  // Rounds alternating 1 ms and 3 ms a request never settle: stopped at 5 s, round by round.
  let n = 0;
  const start = clock.nowMs();
  const jumpy = await warmReplica(
    { id: 'r4', infer: async () => (clock.advance(Math.floor(n++ / 20) % 2 ? 3 : 1), { ok: true }) },
    clock,
    { ...WARMUP, maxRounds: 1000 },
  );
  assert.equal(jumpy.settled, false);
  assert.ok(clock.nowMs() - start <= WARMUP.maxMs + 3, `${clock.nowMs() - start} ms`);
  // A stop signal: no request after it.
  const stop = new AbortController();
  let sent = 0;
  const stopped = await warmReplica(
    { id: 'r4', infer: async () => (clock.advance(10), ++sent === 30 && stop.abort(), { ok: true }) },
    clock,
    WARMUP,
    stop.signal,
  );
  assert.deepEqual([stopped.requests, stopped.settled], [30, false]);
});
