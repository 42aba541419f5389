// Schedule warnings: a window that earlier windows cover entirely never applies, and a closed date
// listed twice; both are reported with file:line:col by schedule loading and `serve validate`, and
// neither stops the schedule from loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatProblem } from '../../src/profile/problems.js';
import { loadProfileOrSchedule } from '../../src/profile/schedule/load.js';
import type { ScheduleWindow } from '../../src/profile/schedule/schedule.js';
import { duplicateDates, shadowedWindows } from '../../src/profile/schedule/warnings.js';
import { cliEntry } from '../helpers/paths.js';

const w = (days: string, from: string, to: string, profile = 'p'): ScheduleWindow => ({
  profile,
  days: days.split(',') as ScheduleWindow['days'],
  from,
  to,
});

test('a window inside an earlier one never applies; one that sticks out anywhere does', () => {
  assert.deepEqual(shadowedWindows([w('mon,tue,wed,thu,fri', '09:00', '17:00'), w('mon', '10:00', '12:00')]), [
    { window: 1, by: [0] },
  ]);
  // An hour past the earlier window's end, or a day it does not run on: it applies then.
  assert.deepEqual(shadowedWindows([w('mon', '09:00', '17:00'), w('mon', '16:00', '18:00')]), []);
  assert.deepEqual(shadowedWindows([w('mon', '09:00', '17:00'), w('mon,tue', '10:00', '12:00')]), []);
  // The later window wins nowhere even when it came first in time: order decides, not length.
  assert.deepEqual(shadowedWindows([w('mon', '10:00', '12:00'), w('mon', '09:00', '17:00')]), []);
  // Two earlier windows together, across midnight, and across the week's end (Sunday night into Monday).
  assert.deepEqual(
    shadowedWindows([w('mon', '09:00', '12:00'), w('mon', '12:00', '17:00'), w('mon', '10:00', '15:00')]),
    [{ window: 2, by: [0, 1] }],
  );
  assert.deepEqual(shadowedWindows([w('mon', '20:00', '06:00'), w('tue', '01:00', '05:00')]), [{ window: 1, by: [0] }]);
  assert.deepEqual(shadowedWindows([w('sun', '22:00', '04:00'), w('mon', '00:00', '03:00')]), [{ window: 1, by: [0] }]);
  assert.deepEqual(shadowedWindows([w('sun', '22:00', '04:00'), w('sun', '23:00', '05:00')]), []);
  // The same window twice: the second never applies.
  assert.deepEqual(shadowedWindows([w('sat', '00:00', '24:00'), w('sat', '00:00', '24:00', 'q')]), [
    { window: 1, by: [0] },
  ]);
});

test('a closed date listed twice is found with where it first appeared', () => {
  assert.deepEqual(duplicateDates(['2026-12-25', '2026-01-01', '2026-12-25', '2026-12-25']), [
    { index: 2, first: 0 },
    { index: 3, first: 0 },
  ]);
  assert.deepEqual(duplicateDates(['2026-12-25', '2026-01-01']), []);
});

const SCHEDULE = `name: week
schedule:
  timezone: America/New_York
  default: quiet
  windows:
    - { profile: busy, days: [mon, tue, wed, thu, fri], from: "09:30", to: "16:00" }
    - { profile: lunch, days: [wed], from: "12:00", to: "13:00" }
    - { profile: lunch, days: [sat], from: "12:00", to: "13:00" }
  closed_dates:
    - 2026-12-25
    - 2026-11-26
    - 2026-12-25
`;

async function world(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-schedule-warn-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'week.yaml'), SCHEDULE);
  for (const p of ['busy', 'quiet', 'lunch'])
    await writeFile(path.join(dir, `${p}.yaml`), 'model:\n  name: cnn-lstm\n');
  return dir;
}

const EXPECTED = [
  'week.yaml:7:7 schedule.windows[1]: never applies: windows[0] (busy, line 6) covers all of its hours, and the first window containing a time wins; remove it, or move it above to make it win',
  'week.yaml:12:7 schedule.closed_dates[2]: 2026-12-25 is listed twice (also closed_dates[0], line 10): remove one',
];

test('loading a schedule reports both as located warnings and still loads it', async (t) => {
  const dir = await world(t);
  const r = await loadProfileOrSchedule('week.yaml', { cwd: dir, env: {} });
  assert.equal(r.kind, 'schedule');
  if (r.kind !== 'schedule') return;
  assert.deepEqual(r.schedule.warnings.map(formatProblem), EXPECTED);
  assert.equal(r.schedule.schedule.windows.length, 3);
});

test('serve validate prints the warnings on stderr and exits 0', async (t) => {
  const dir = await world(t);
  const r = spawnSync(process.execPath, [cliEntry, 'validate', 'week.yaml'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.stderr.trim().split('\n'),
    EXPECTED.map((l) => `serve: warning: ${l}`),
  );
  assert.match(r.stdout, /week\.yaml: ok \(schedule "week"/);
  const j = spawnSync(process.execPath, [cliEntry, 'validate', 'week.yaml', '--json'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(j.status, 0, j.stderr);
  assert.deepEqual(
    (JSON.parse(j.stdout) as { warnings: Parameters<typeof formatProblem>[0][] }).warnings.map(formatProblem),
    EXPECTED,
  );
});
