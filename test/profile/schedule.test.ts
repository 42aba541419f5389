// Which profile is active when: weekdays and times in a time zone, both daylight-saving changes,
// overnight windows, closed dates and early closes, each boundary an exact instant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeProfile,
  checkSchedule,
  marketHoursSchedule,
  nextChange,
  switchesBetween,
  type ProfileSchedule,
} from '../../src/profile/schedule/schedule.js';
import { localToUtcMs, zonedTime } from '../../src/profile/schedule/zoned-time.js';

const at = (iso: string) => new Date(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const list = (s: ProfileSchedule, from: string, to: string) =>
  switchesBetween(s, at(from), at(to)).map((x) => `${x.at.toISOString()} ${x.from}->${x.profile} ${x.reason}`);

test('market hours are Mon-Fri 09:30-16:00 New York time, summer (EDT, UTC-4)', () => {
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T13:29:00Z')), 'off-hours'); // Wed 09:29
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T13:30:00Z')), 'market-hours'); // Wed 09:30
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T19:59:59Z')), 'market-hours'); // Wed 15:59:59
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T20:00:00Z')), 'off-hours'); // Wed 16:00
});

test('winter (EST, UTC-5) shifts the UTC times by an hour', () => {
  assert.equal(activeProfile(marketHoursSchedule, at('2026-01-14T13:30:00Z')), 'off-hours'); // Wed 08:30
  assert.equal(activeProfile(marketHoursSchedule, at('2026-01-14T14:30:00Z')), 'market-hours'); // Wed 09:30
});

test('spring forward (Sun 2026-03-08): the open moves from 14:30 to 13:30 UTC over the weekend', () => {
  assert.deepEqual(list(marketHoursSchedule, '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z'), [
    '2026-03-06T14:30:00.000Z off-hours->market-hours opens', // Fri 09:30 EST
    '2026-03-06T21:00:00.000Z market-hours->off-hours closes', // Fri 16:00 EST
    '2026-03-09T13:30:00.000Z off-hours->market-hours opens', // Mon 09:30 EDT
    '2026-03-09T20:00:00.000Z market-hours->off-hours closes',
  ]);
});

test('fall back (Sun 2026-11-01): the open moves from 13:30 to 14:30 UTC', () => {
  assert.deepEqual(list(marketHoursSchedule, '2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z'), [
    '2026-10-30T13:30:00.000Z off-hours->market-hours opens', // Fri 09:30 EDT
    '2026-10-30T20:00:00.000Z market-hours->off-hours closes',
    '2026-11-02T14:30:00.000Z off-hours->market-hours opens', // Mon 09:30 EST
    '2026-11-02T21:00:00.000Z market-hours->off-hours closes',
  ]);
});

test('local times inside the daylight-saving jumps: a skipped time maps forward, a repeated one to its first occurrence', () => {
  const ny = 'America/New_York';
  assert.equal(iso(localToUtcMs(ny, '2026-03-08', 2 * 3600 + 30 * 60)), '2026-03-08T07:30:00.000Z'); // 02:30 does not exist: 03:30 EDT
  assert.equal(iso(localToUtcMs(ny, '2026-03-08', 3 * 3600)), '2026-03-08T07:00:00.000Z'); // 03:00 EDT
  assert.equal(iso(localToUtcMs(ny, '2026-11-01', 1 * 3600 + 30 * 60)), '2026-11-01T05:30:00.000Z'); // 01:30 EDT, the first one
  assert.equal(iso(localToUtcMs(ny, '2026-11-01', 2 * 3600)), '2026-11-01T07:00:00.000Z'); // 02:00 EST
  assert.equal(iso(localToUtcMs(ny, '2026-12-31', 86_400)), '2027-01-01T05:00:00.000Z'); // 24:00 is the next midnight
  assert.equal(zonedTime(ny, at('2026-11-01T06:30:00Z')).second, 3600 + 30 * 60); // 01:30 EST, the second one
  // A nightly window over the jumps: 23 and 25 hours long those nights.
  const nightly: ProfileSchedule = {
    timezone: ny,
    windows: [{ profile: 'night', days: ['sat', 'sun'], from: '22:00', to: '06:00' }],
    default: 'day',
  };
  const spring = switchesBetween(nightly, at('2026-03-07T12:00:00Z'), at('2026-03-08T12:00:00Z'));
  assert.equal(spring[1]!.at.getTime() - spring[0]!.at.getTime(), 7 * 3_600_000);
  const fall = switchesBetween(nightly, at('2026-10-31T12:00:00Z'), at('2026-11-01T12:00:00Z'));
  assert.equal(fall[1]!.at.getTime() - fall[0]!.at.getTime(), 9 * 3_600_000);
});

test('a closed date is the default profile all day', () => {
  const holiday: ProfileSchedule = { ...marketHoursSchedule, closedDates: ['2026-12-25'] };
  assert.equal(activeProfile(holiday, at('2026-12-25T16:00:00Z')), 'off-hours'); // Fri 11:00, Christmas
  assert.equal(activeProfile(holiday, at('2026-12-24T16:00:00Z')), 'market-hours');
  assert.deepEqual(list(holiday, '2026-12-24T22:00:00Z', '2026-12-28T20:00:00Z'), [
    '2026-12-28T14:30:00.000Z off-hours->market-hours opens',
  ]);
});

test('an early close ends the window that day, and says so', () => {
  const s: ProfileSchedule = { ...marketHoursSchedule, earlyClose: { '2026-11-27': '13:00' } };
  assert.equal(activeProfile(s, at('2026-11-27T17:59:59Z')), 'market-hours'); // 12:59:59 EST
  assert.equal(activeProfile(s, at('2026-11-27T18:00:00Z')), 'off-hours'); // 13:00 EST
  assert.deepEqual(list(s, '2026-11-27T00:00:00Z', '2026-11-28T00:00:00Z'), [
    '2026-11-27T14:30:00.000Z off-hours->market-hours opens',
    '2026-11-27T18:00:00.000Z market-hours->off-hours early close',
  ]);
  // An early close before the window opens leaves no window that day.
  const before: ProfileSchedule = { ...marketHoursSchedule, earlyClose: { '2026-11-27': '09:00' } };
  assert.deepEqual(list(before, '2026-11-27T00:00:00Z', '2026-11-28T00:00:00Z'), []);
});

test('a window past midnight belongs to the day it starts on, and seconds are exact', () => {
  const s: ProfileSchedule = {
    timezone: 'UTC',
    windows: [{ profile: 'batch', days: ['fri'], from: '22:00:30', to: '02:00' }],
    default: 'idle',
  };
  assert.equal(activeProfile(s, at('2026-07-17T22:00:29Z')), 'idle');
  assert.equal(activeProfile(s, at('2026-07-17T22:00:30Z')), 'batch'); // Fri 22:00:30
  assert.equal(activeProfile(s, at('2026-07-18T01:59:00Z')), 'batch'); // Sat 01:59
  assert.equal(activeProfile(s, at('2026-07-18T02:00:00Z')), 'idle');
  assert.equal(activeProfile(s, at('2026-07-17T01:00:00Z')), 'idle'); // Fri 01:00 (Thu not listed)
  // The tail of an overnight window stops where a closed date begins.
  const closed: ProfileSchedule = { ...s, closedDates: ['2026-07-18'] };
  assert.equal(activeProfile(closed, at('2026-07-18T01:00:00Z')), 'idle');
});

test('the first window wins where two overlap, and switches between windows are listed', () => {
  const s: ProfileSchedule = {
    timezone: 'UTC',
    default: 'idle',
    windows: [
      { profile: 'peak', days: ['mon'], from: '12:00', to: '13:00' },
      { profile: 'day', days: ['mon'], from: '08:00', to: '18:00', prewarmMs: 60_000 },
    ],
  };
  assert.deepEqual(
    switchesBetween(s, at('2026-07-20T00:00:00Z'), at('2026-07-21T00:00:00Z')).map((x) => [
      x.at.toISOString().slice(11, 16),
      x.profile,
      x.prewarmMs,
    ]),
    [
      ['08:00', 'day', 60_000],
      ['12:00', 'peak', 0],
      ['13:00', 'day', 0],
      ['18:00', 'idle', 0],
    ],
  );
});

test('nextChange finds the next boundary with its prewarm', () => {
  const s: ProfileSchedule = {
    ...marketHoursSchedule,
    windows: [{ ...marketHoursSchedule.windows[0]!, prewarmMs: 300_000 }],
  };
  const next = nextChange(s, at('2026-07-17T20:30:00Z')); // Fri 16:30
  assert.deepEqual(next, {
    at: at('2026-07-20T13:30:00Z'),
    from: 'off-hours',
    profile: 'market-hours',
    reason: 'opens',
    prewarmMs: 300_000,
  }); // Mon 09:30
  assert.equal(nextChange({ ...s, windows: [] }, at('2026-07-17T20:30:00Z')), undefined);
});

test('checkSchedule reports every mistake', () => {
  const problems = checkSchedule({
    timezone: 'Mars/Olympus',
    windows: [{ profile: 'x', days: ['fri', 'fry' as 'fri'], from: '9:30', to: '25:00' }],
    default: 'y',
  });
  assert.deepEqual(
    problems.map((p) => p.split(':')[0]),
    ['timezone', 'windows[0].from', 'windows[0].to', 'windows[0].days'],
  );
  assert.deepEqual(checkSchedule(marketHoursSchedule), []);
});
