// A schedule's windows as cron expressions: prewarm moves the start (across midnight too),
// windows past midnight end on the next days, days compress into ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronDays, cronWindows } from '../../src/export/cron.js';
import type { ProfileSchedule } from '../../src/profile/schedule/schedule.js';

const schedule = (windows: ProfileSchedule['windows']): ProfileSchedule => ({
  timezone: 'Europe/London',
  default: 'quiet',
  windows,
});

test('days become cron day-of-week ranges and lists', () => {
  assert.equal(cronDays([1, 2, 3, 4, 5]), '1-5');
  assert.equal(cronDays([6, 0]), '0,6');
  assert.equal(cronDays([1, 3, 4, 5]), '1,3-5');
  assert.equal(cronDays([0, 1, 2, 3, 4, 5, 6]), '*');
  assert.equal(cronDays([7, 8]), '0,1');
});

test('market hours with a 5 minute prewarm start at 09:25 and end at 16:00 on the same days', () => {
  const [w] = cronWindows(
    schedule([
      { profile: 'busy', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:30', to: '16:00', prewarmMs: 300_000 },
    ]),
  );
  assert.deepEqual(
    { start: w!.start, end: w!.end, rounded: w!.rounded, timezone: w!.timezone },
    { start: '25 9 * * 1-5', end: '0 16 * * 1-5', rounded: false, timezone: 'Europe/London' },
  );
});

test('a window past midnight ends on the next day; a prewarm before midnight starts the day before', () => {
  const [night, early] = cronWindows(
    schedule([
      { profile: 'busy', days: ['fri', 'sat'], from: '22:00', to: '06:00' },
      { profile: 'busy', days: ['mon'], from: '00:10', to: '24:00', prewarmMs: 1_200_000 },
    ]),
  );
  assert.deepEqual([night!.start, night!.end], ['0 22 * * 5,6', '0 6 * * 0,6']);
  assert.deepEqual([early!.start, early!.end], ['50 23 * * 0', '0 0 * * 2']);
});

test('times with seconds round outwards and say so', () => {
  const [w] = cronWindows(schedule([{ profile: 'busy', days: ['mon'], from: '09:30:30', to: '10:00:15' }]));
  assert.deepEqual([w!.start, w!.end, w!.rounded], ['30 9 * * 1', '1 10 * * 1', true]);
});
