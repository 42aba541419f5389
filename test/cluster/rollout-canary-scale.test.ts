// A rollout step routes the new version's share to only as many of its replicas as make both
// versions' per-replica rates match (Argo Rollouts' setCanaryScale): the pure choice, and the runner
// on a manual clock with a host whose gateway metrics follow the routing it was told, so the judge
// compares like with like at the 25% step (its ratio judged in step 1) and the held-back replica
// comes back into routing at the 50% step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { renderRollout } from '../../src/cli/rollout.js';
import type { RolloutStatus } from '../../src/common/rollout.js';
import { canaryRouting, canaryScale, loadRatio } from '../../src/cluster/rollout/canary-scale.js';
import { RolloutRunner } from '../../src/cluster/rollout/runner.js';
import { GatewayLink } from '../../src/cluster/controller/gateway-link.js';
import { InForce } from '../../src/cluster/in-force.js';
import { defaultProfile } from '../../src/profile/defaults.js';
import type { ReplicaEndpoint } from '../../src/common/wire.js';
import { SAME, SLOWER, request, runFor, world } from './rollout-world.js';

test('canary scale: the count of new replicas whose rate each best matches the old replicas', () => {
  // 2 old, 2 new: 25% on one new replica is 25% vs 37.5% a replica (1.5x); on both, 12.5% vs 37.5% (3x).
  assert.equal(canaryScale(2, 2, 25), 1);
  assert.equal(loadRatio(2, 1, 25), 1.5);
  assert.equal(loadRatio(2, 2, 25), 3);
  assert.equal(canaryScale(2, 2, 50), 2);
  assert.equal(canaryScale(2, 2, 100), 2, 'the old version carries nothing: all of them');
  assert.equal(canaryScale(4, 4, 25), 1, '25% vs 18.75% (1.33x), not 12.5% (1.5x)');
  assert.equal(canaryScale(6, 6, 33), 3);
  assert.equal(canaryScale(3, 5, 60), 5, '12% vs 13.3% a replica (1.11x) beats 15% on 4 (1.13x)');
});

test('canary scale: edges; the routed replicas in a stable order, the rest held', () => {
  assert.equal(canaryScale(2, 0, 25), 0);
  assert.equal(canaryScale(2, 1, 10), 1, 'one new replica is the least there is');
  assert.equal(canaryScale(0, 3, 25), 3);
  assert.equal(canaryScale(2, 3, 0), 3);
  assert.equal(canaryScale(9, 3, 5), 1);
  const r = canaryRouting(2, ['r10', 'r3', 'r4'], 25);
  assert.deepEqual([r.routed, r.held, r.plannedLoadRatio], [['r3'], ['r4', 'r10'], 1.5]);
});

const p50Call = (s: RolloutStatus, step: number) =>
  s.decisions
    .find((d) => d.step === step && d.judgement)
    ?.judgement?.calls.find((c) => c.figure === 'p50' && c.against === 'old');

test('runner: the 25% step routes to 1 of 2 new replicas, and its ratio is judged; 50% and 100% route to both', async () => {
  const w = world(SAME);
  const runner = new RolloutRunner(w.host);
  await runner.start(request);
  await runFor(w.clock, 3000);
  // `serve rollout status` during the step says how many new replicas serve.
  assert.match(
    renderRollout(runner.status()!),
    /traffic version 1 75%, version 2 25% \(version 2 on 1 of 2 replicas\)\n/,
  );
  await runFor(w.clock, 3100);
  let s = runner.status()!;
  assert.equal(s.step, 2, s.decisions.map((d) => d.message).join('\n'));
  // Step 1: the new share went to r3 alone; r4 was started and held out of routing.
  assert.deepEqual(w.calls[1], { weights: { 1: 75, 2: 25 }, held: ['r4'] });
  assert.match(s.decisions.find((d) => d.kind === 'step')!.message, /25% of traffic to version 2 on 1 of 2 replicas/);
  // Like with like: the p50 ratio was judged at step 1 (not "load differs"), and passed.
  const p50 = p50Call(s, 1)!;
  assert.equal(p50.outcome, 'pass', JSON.stringify(p50));
  assert.deepEqual(s.routed, { replicas: 2, of: 2 });
  assert.deepEqual(w.calls[2], { weights: { 1: 50, 2: 50 }, held: [] });
  await runFor(w.clock, 12_500);
  s = runner.status()!;
  assert.equal(s.phase, 'completed', s.decisions.map((d) => d.message).join('\n'));
  assert.deepEqual(w.calls.at(-1), { held: [] }, 'completion routes by no weights, every replica');
  assert.equal(s.routed, undefined);
  runner.close();
});

test('runner: a slower version is rolled back within step 1, then traffic goes back with nothing held', async () => {
  const w = world(SLOWER);
  const runner = new RolloutRunner(w.host);
  await runner.start(request);
  await runFor(w.clock, 6000);
  const s = runner.status()!;
  assert.equal(s.phase, 'rolled-back', s.decisions.map((d) => d.message).join('\n'));
  const back = s.decisions.find((d) => d.kind === 'rollback' && d.judgement)!;
  assert.equal(back.step, 1);
  assert.match(back.message, /^step 1 missed after \d\.\d s of 6 s: .*p50 \d\.\d\dx/);
  assert.deepEqual(
    w.calls.slice(-2),
    [{ weights: { 1: 100, 2: 0 }, held: [] }, { held: [] }],
    'back to version 1 (acknowledged), then no weights',
  );
  assert.deepEqual(
    w.replicas.filter((r) => r.version === 2).map((r) => r.state),
    ['draining', 'draining'],
  );
  runner.close();
});

test('gateway link: held replicas go to the gateway not ready, and ready again once nothing is held', () => {
  const sent: string[] = [];
  const link = new GatewayLink({
    launcher: {
      start: (spec) => (
        sent.push(...(spec.stdinLines ?? [])),
        {
          pid: 1,
          exited: new Promise(() => undefined),
          send: (line) => void sent.push(line),
          stop: () => new Promise(() => undefined),
          signal: () => undefined,
        }
      ),
    },
    clock: new ManualClock(0),
    inForce: new InForce(defaultProfile(), 1),
    launch: () => ({ command: 'gateway', args: [], stdinLines: [] }),
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never,
    onOutput: () => undefined,
    onEvent: () => undefined,
    onUrl: () => undefined,
  });
  link.start();
  const ep = (id: string, version: string): ReplicaEndpoint => ({ id, url: `http://x/${id}`, ready: true, version });
  void link.update([ep('r1', '1'), ep('r2', '1'), ep('r3', '2'), ep('r4', '2')]);
  const readyOf = () =>
    Object.fromEntries(
      (JSON.parse(sent.at(-1)!) as { replicas: ReplicaEndpoint[] }).replicas.map((r) => [r.id, r.ready]),
    );
  void link.setWeights({ 1: 75, 2: 25 }, ['r4']);
  assert.deepEqual(readyOf(), { r1: true, r2: true, r3: true, r4: false });
  // A replica-set change meanwhile (the supervisor's) keeps the hold.
  void link.update([ep('r1', '1'), ep('r2', '1'), ep('r3', '2'), ep('r4', '2')]);
  assert.equal(readyOf().r4, false);
  void link.setWeights({ 1: 50, 2: 50 });
  assert.deepEqual(readyOf(), { r1: true, r2: true, r3: true, r4: true });
});
