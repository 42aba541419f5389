// Which profile is active when: weekdays and times in a time zone, daylight saving, overnight windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeProfile, checkSchedule, marketHoursSchedule, nextChange, type ProfileSchedule } from '../../src/profile/schedule.js';

const at = (iso: string) => new Date(iso);

test('market hours are Mon-Fri 09:30-16:00 New York time, summer (EDT, UTC-4)', () => {
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T13:29:00Z')), 'off-hours'); // Wed 09:29
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T13:30:00Z')), 'market-hours'); // Wed 09:30
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T19:59:00Z')), 'market-hours'); // Wed 15:59
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-15T20:00:00Z')), 'off-hours'); // Wed 16:00
});

test('winter (EST, UTC-5) shifts the UTC times by an hour', () => {
  assert.equal(activeProfile(marketHoursSchedule, at('2026-01-14T13:30:00Z')), 'off-hours'); // Wed 08:30
  assert.equal(activeProfile(marketHoursSchedule, at('2026-01-14T14:30:00Z')), 'market-hours'); // Wed 09:30
});

test('weekends and closed dates are off-hours', () => {
  assert.equal(activeProfile(marketHoursSchedule, at('2026-07-18T15:00:00Z')), 'off-hours'); // Sat 11:00
  const holiday: ProfileSchedule = { ...marketHoursSchedule, closedDates: ['2026-12-25'] };
  assert.equal(activeProfile(holiday, at('2026-12-25T16:00:00Z')), 'off-hours'); // Fri 11:00, Christmas
  assert.equal(activeProfile(holiday, at('2026-12-24T16:00:00Z')), 'market-hours');
});

test('a window past midnight belongs to the day it starts on', () => {
  const s: ProfileSchedule = { timezone: 'UTC', windows: [{ profile: 'batch', days: ['fri'], from: '22:00', to: '02:00' }], default: 'idle' };
  assert.equal(activeProfile(s, at('2026-07-17T23:00:00Z')), 'batch'); // Fri 23:00
  assert.equal(activeProfile(s, at('2026-07-18T01:59:00Z')), 'batch'); // Sat 01:59
  assert.equal(activeProfile(s, at('2026-07-18T02:00:00Z')), 'idle');
  assert.equal(activeProfile(s, at('2026-07-17T01:00:00Z')), 'idle'); // Fri 01:00 (Thu not listed)
});

test('nextChange finds the next boundary', () => {
  const next = nextChange(marketHoursSchedule, at('2026-07-17T20:30:00Z')); // Fri 16:30
  assert.deepEqual(next, { at: at('2026-07-20T13:30:00Z'), profile: 'market-hours' }); // Mon 09:30
});

test('checkSchedule reports every mistake', () => {
  const problems = checkSchedule({ timezone: 'Mars/Olympus', windows: [{ profile: 'x', days: ['fri', 'fry' as 'fri'], from: '9:30', to: '25:00' }], default: 'y' });
  assert.deepEqual(problems.map((p) => p.split(':')[0]), ['timezone', 'windows[0].from', 'windows[0].to', 'windows[0].days']);
  assert.deepEqual(checkSchedule(marketHoursSchedule), []);
});
