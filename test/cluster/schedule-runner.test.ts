// The schedule runner on a manual clock: one timer for the next event only (never polling), the
// prewarm before the switch, the switch at the boundary, and a start inside a prewarm period; and
// what a switch does to the replicas' batching (live, or by replacing them); and prewarms and
// switches held while a rollout runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/common/clock.js';
import { batchingChange, scheduleRunnerFor } from '../../src/cluster/schedule/profile-switch.js';
import { SwitchHold } from '../../src/cluster/schedule/switch-hold.js';
import { ScheduleRunner } from '../../src/cluster/schedule/runner.js';
import type { Profile } from '../../src/profile/types.js';
import { testProfile } from './helpers.js';
import type { ProfileSchedule, ScheduleSwitch } from '../../src/profile/schedule/schedule.js';

const schedule: ProfileSchedule = {
  timezone: 'America/New_York',
  default: 'off-hours',
  closedDates: ['2026-11-26'],
  earlyClose: { '2026-11-27': '13:00' },
  windows: [
    {
      profile: 'market-hours',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      from: '09:30',
      to: '16:00',
      prewarmMs: 300_000,
    },
  ],
};

function runner(startIso: string) {
  const clock = new ManualClock();
  const origin = Date.parse(startIso);
  const events: string[] = [];
  const at = () => new Date(origin + clock.nowMs()).toISOString().slice(0, 16);
  const r = new ScheduleRunner({
    schedule,
    clock,
    wallNowMs: () => origin + clock.nowMs(),
    onPrewarm: (sw: ScheduleSwitch) => events.push(`${at()} prewarm ${sw.profile}`),
    onSwitch: (sw: ScheduleSwitch) => events.push(`${at()} switch ${sw.from}->${sw.profile} (${sw.reason})`),
  });
  return { clock, r, events, hours: (h: number) => clock.advance(h * 3_600_000) };
}

test('across Thanksgiving week: prewarm 5 minutes ahead, switches at the boundaries, none on the closed day, the early close', () => {
  const { clock, r, events, hours } = runner('2026-11-25T12:00:00Z'); // Wed 07:00 EST
  r.start();
  assert.equal(r.active, 'off-hours');
  assert.equal(r.next?.at.toISOString(), '2026-11-25T14:30:00.000Z');
  assert.equal(r.prewarmAt?.toISOString(), '2026-11-25T14:25:00.000Z');
  assert.equal(clock.pendingTimers, 1, 'one timer, for the next event');
  hours(24 * 3);
  assert.equal(clock.pendingTimers, 1);
  assert.deepEqual(events, [
    '2026-11-25T14:25 prewarm market-hours',
    '2026-11-25T14:30 switch off-hours->market-hours (opens)',
    '2026-11-25T21:00 switch market-hours->off-hours (closes)',
    '2026-11-27T14:25 prewarm market-hours',
    '2026-11-27T14:30 switch off-hours->market-hours (opens)',
    '2026-11-27T18:00 switch market-hours->off-hours (early close)',
  ]);
  assert.equal(r.active, 'off-hours');
  assert.equal(r.next?.at.toISOString(), '2026-11-30T14:30:00.000Z', 'the next open is Monday');
});

test('started inside a prewarm period it prewarms at once; stopped, it fires nothing more', () => {
  const { clock, r, events, hours } = runner('2026-11-30T14:27:00Z'); // Mon 09:27 EST
  r.start();
  assert.deepEqual(events, ['2026-11-30T14:27 prewarm market-hours']);
  clock.advance(3 * 60_000);
  assert.deepEqual(events.slice(1), ['2026-11-30T14:30 switch off-hours->market-hours (opens)']);
  r.stop();
  hours(48);
  assert.equal(events.length, 2);
  assert.equal(clock.pendingTimers, 0);
});

test('a switch changes batch size and wait live, and replaces replicas for any other batching change', () => {
  const p = (batching: Partial<Profile['batching']>): Profile => testProfile('/nowhere', { batching });
  const base = { maxBatchSize: 8, batchWaitMs: 2, mode: 'adaptive', maxQueuedRequests: 64 } as const;
  assert.deepEqual(batchingChange(p(base), p(base)), { kind: 'none' });
  assert.deepEqual(batchingChange(p(base), p({ ...base, maxBatchSize: 32 })), {
    kind: 'live',
    settings: { maxBatchSize: 32 },
  });
  assert.deepEqual(batchingChange(p(base), p({ ...base, maxBatchSize: 4, batchWaitMs: 10 })), {
    kind: 'live',
    settings: { maxBatchSize: 4, batchWaitMs: 10 },
  });
  assert.deepEqual(batchingChange(p(base), p({ ...base, mode: 'fixed' })), { kind: 'replace' });
  assert.deepEqual(
    batchingChange(p(base), p({ ...base, maxBatchSize: 32, maxQueuedRequests: 128 })),
    { kind: 'replace' },
    'a live change with a restart one is one restart',
  );
});

test('during a rollout a prewarm and a switch wait, then run in order once it ends; with none they run at once', () => {
  let rolling = true;
  const hold = new SwitchHold(() => rolling);
  const clock = new ManualClock();
  const origin = Date.parse('2026-11-30T14:00:00Z'); // Mon 09:00 EST
  const done: string[] = [];
  const messages: string[] = [];
  let profile = testProfile('/nowhere', { name: 'off-hours' } as Partial<Profile>);
  const profiles = {
    'off-hours': profile,
    'market-hours': { ...testProfile('/nowhere', { replicas: { min: 3, max: 6, initial: 3 } }), name: 'market-hours' },
  };
  const cluster = {
    hold,
    log: { error: () => {} } as never,
    emit: (e: { message: string }) => messages.push(e.message),
    supervisor: {
      desired: 1,
      setReplicas: (n: number) => done.push(`replicas ${n}`),
      roll: () => Promise.resolve(),
    } as never,
    autoscaling: {
      pinned: undefined,
      setProfile: () => {},
      setFloor: (n: number) => done.push(`floor ${n}`),
      record: () => {},
    } as never,
    takeProfile: (to: Profile) => {
      const from = profile;
      profile = to;
      done.push(`profile ${to.name}`);
      return from;
    },
  };
  const r = scheduleRunnerFor(
    { name: 'day', sourcePath: '', schedule, profiles },
    clock,
    () => origin + clock.nowMs(),
    cluster,
  );
  r.start();
  clock.advance(45 * 60_000); // 09:45: the 09:25 prewarm and the 09:30 switch fell due during the rollout
  assert.deepEqual(done, []);
  assert.equal(hold.pending, 2);
  assert.ok(
    messages.some((m) => /^the switch to market-hours \(opens\) waits for the rollout in progress to end$/.test(m)),
    messages.join('\n'),
  );
  rolling = false;
  hold.release();
  assert.deepEqual(done, ['floor 3', 'replicas 3', 'profile market-hours', 'replicas 3']);
  assert.equal(profile.name, 'market-hours');
  r.stop();
  // Nothing held: an action runs at once.
  const ran: string[] = [];
  assert.equal(
    new SwitchHold(() => false).run(() => ran.push('now')),
    false,
  );
  assert.deepEqual(ran, ['now']);
});
