// Schedule files: checked like profiles (every problem at once, file:line:col), names found next to
// the schedule first, named profiles validated too, one model and only switchable differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/common/errors.js';
import { loadProfile } from '../../src/profile/load.js';
import { ProfileError } from '../../src/profile/problems.js';
import { loadProfileOrSchedule } from '../../src/profile/schedule/load.js';
import { dayOfWeek } from '../../src/profile/schedule/zoned-time.js';
import { repoRoot } from '../helpers/paths.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'serve-schedule-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const profile = (extra = '') => `model:\n  name: cnn-lstm\n${extra}`;
const schedule = (body: string) => `name: week\nschedule:\n${body}`;
const good = schedule(`  timezone: UTC
  default: quiet
  windows:
    - profile: busy
      days: [mon, tue]
      from: "09:00"
      to: "17:00:30"
      prewarm: 2m
  closed_dates: [2026-12-25]
  early_close: { 2026-12-24: "13:00" }
`);

async function problems(run: Promise<unknown>): Promise<string[]> {
  try {
    await run;
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected a ProfileError, got ${String(err)}`);
    return [...err.details];
  }
  assert.fail('expected problems');
}

test('a schedule loads with the profiles next to it, before ./profiles and the shipped ones', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'conf'));
  await mkdir(path.join(dir, 'profiles'));
  await writeFile(path.join(dir, 'conf', 'week.yaml'), good);
  await writeFile(path.join(dir, 'conf', 'busy.yaml'), profile('replicas: { min: 4, max: 8 }\n'));
  await writeFile(path.join(dir, 'profiles', 'busy.yaml'), profile('replicas: { min: 1, max: 1 }\n'));
  await writeFile(path.join(dir, 'profiles', 'quiet.yaml'), profile());
  const r = await loadProfileOrSchedule('conf/week.yaml', { cwd: dir, env: {} });
  assert.equal(r.kind, 'schedule');
  if (r.kind !== 'schedule') return;
  assert.equal(r.schedule.name, 'week');
  assert.deepEqual(r.schedule.schedule, {
    timezone: 'UTC',
    default: 'quiet',
    closedDates: ['2026-12-25'],
    earlyClose: { '2026-12-24': '13:00' },
    windows: [{ profile: 'busy', days: ['mon', 'tue'], from: '09:00', to: '17:00:30', prewarmMs: 120_000 }],
  });
  assert.equal(r.schedule.profiles.busy!.replicas.min, 4, 'the profile next to the schedule wins');
  assert.equal(r.schedule.profiles.quiet!.sourcePath, path.join(dir, 'profiles', 'quiet.yaml'));
  // A plain profile loads as one.
  assert.equal((await loadProfileOrSchedule('quiet', { cwd: dir, env: {} })).kind, 'profile');
});

test('every problem of a schedule file at once, each at its line and column', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'bad.yaml'),
    schedule(`  timezone: Mars/Olympus
  default: off-hours
  windows:
    - profile: market-hours
      days: [mon, fry]
      from: "9:30"
      to: "16:00"
      prewarm: 5
    - profile: market-hours
      from: "10:00"
      to: "10:00"
  closed_dates: [2026-02-30]
  early_close: { 2026-13-01: "13:00", 2026-11-27: "1pm" }
  extra: 1
`),
  );
  assert.deepEqual(await problems(loadProfileOrSchedule('bad.yaml', { cwd: dir, env: {} })), [
    'bad.yaml:3:13 schedule.timezone: got "Mars/Olympus", expected an IANA time zone such as "America/New_York" or "UTC"',
    'bad.yaml:7:19 schedule.windows[0].days[1]: got "fry", expected one of "mon", "tue", "wed", "thu", "fri", "sat", "sun"',
    'bad.yaml:8:13 schedule.windows[0].from: got "9:30", expected a local time "HH:MM" or "HH:MM:SS" from 00:00 to 24:00',
    'bad.yaml:10:16 schedule.windows[0].prewarm: got 5, expected a duration such as "10ms" or "15s" and at most 24h',
    'bad.yaml:11:7 schedule.windows[1].days: is missing, expected a list of at least one value',
    'bad.yaml:13:11 schedule.windows[1].to: got "10:00", the same time as from ("10:00"): a window needs some length (for all day write from "00:00" to "24:00")',
    'bad.yaml:14:18 schedule.closed_dates[0]: got "2026-02-30", expected a date "YYYY-MM-DD" that exists',
    'bad.yaml:15:18 schedule.early_close: got the key "2026-13-01", expected a date "YYYY-MM-DD" that exists',
    'bad.yaml:15:51 schedule.early_close.2026-11-27: got "1pm", expected a local time "HH:MM" or "HH:MM:SS" from 00:00 to 24:00',
    'bad.yaml:16:3 schedule.extra: unknown key "extra" in schedule, expected one of timezone, default, windows, closed_dates, early_close',
  ]);
});

test('names that are unknown, schedules themselves, or broken profiles are problems too', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'week.yaml'),
    schedule(`  timezone: UTC
  default: quiet
  windows:
    - { profile: bussy, days: [mon], from: "09:00", to: "17:00" }
    - { profile: week, days: [tue], from: "09:00", to: "17:00" }
`),
  );
  await writeFile(path.join(dir, 'busy.yaml'), profile());
  await writeFile(path.join(dir, 'quiet.yaml'), profile('replicas:\n  min: -1\n'));
  const got = await problems(loadProfileOrSchedule('./week.yaml', { cwd: dir, env: {} }));
  assert.equal(got.length, 3, got.join('\n'));
  assert.match(got[0]!, /^quiet\.yaml:4:8 replicas\.min: got -1/);
  assert.match(
    got[1]!,
    /^week\.yaml:6:18 schedule\.windows\[0\]\.profile: unknown profile "bussy": no bussy\.yaml next to the schedule/,
  );
  assert.match(got[2]!, /^week\.yaml:7:18 schedule\.windows\[1\]\.profile: "week" \(week\.yaml\) is a schedule itself/);
});

test('profiles of one schedule serve one model and differ only in what a running cluster switches', async (t) => {
  const dir = await tempDir(t);
  const windows = `  timezone: UTC
  default: quiet
  windows:
    - { profile: other-model, days: [mon], from: "09:00", to: "17:00" }
    - { profile: other-port, days: [tue], from: "09:00", to: "17:00" }
    - { profile: fine, days: [wed], from: "09:00", to: "17:00" }
`;
  await writeFile(path.join(dir, 'week.yaml'), schedule(windows));
  await writeFile(path.join(dir, 'quiet.yaml'), profile());
  await writeFile(path.join(dir, 'other-model.yaml'), 'model:\n  name: cnn-lstm\n  version: 2\n');
  await writeFile(path.join(dir, 'other-port.yaml'), profile('gateway:\n  port: 9001\n  request_timeout: 2s\n'));
  await writeFile(
    path.join(dir, 'fine.yaml'),
    profile(
      'replicas: { min: 3, max: 9 }\nbatching: { max_batch_size: 16 }\nautoscaling: { latency_guard: true }\nslo: { p99: 50ms }\n',
    ),
  );
  const got = await problems(loadProfileOrSchedule('week.yaml', { cwd: dir, env: {} }));
  assert.deepEqual(got, [
    `week.yaml:6:18 schedule.windows[0].profile: profile "other-model" serves cnn-lstm@2 but "quiet" (the default) serves cnn-lstm@latest: switching the model is a rollout, not a schedule switch; make every profile of a schedule serve the same model`,
    'week.yaml:7:18 schedule.windows[1].profile: profile "other-port" differs from "quiet" (the default) in gateway.port (9001 vs 8000), gateway.request_timeout (2000 vs 1000): a schedule switches only replicas, autoscaling, batching, slo on a running cluster; make the other sections the same',
  ]);
});

test('commands that need one profile say a schedule is not one', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'week.yaml'), good);
  await assert.rejects(
    loadProfile('week.yaml', { cwd: dir, env: {} }),
    (err: unknown) => err instanceof UserError && /week\.yaml is a schedule/.test(err.message),
  );
});

test('the shipped trading-day schedule: US equity hours, with 2026-2027 closures on weekdays only', async () => {
  const r = await loadProfileOrSchedule('trading-day', { cwd: '/work-elsewhere', env: {} });
  assert.equal(r.kind, 'schedule');
  if (r.kind !== 'schedule') return;
  const s = r.schedule.schedule;
  assert.equal(s.timezone, 'America/New_York');
  assert.equal(s.default, 'off-hours');
  assert.deepEqual(
    s.windows.map((w) => [w.profile, w.days.join(','), w.from, w.to]),
    [['market-hours', 'mon,tue,wed,thu,fri', '09:30', '16:00']],
  );
  assert.deepEqual(Object.keys(r.schedule.profiles).sort(), ['market-hours', 'off-hours']);
  assert.equal(s.closedDates!.length, 20, 'ten NYSE holidays a year');
  for (const d of s.closedDates!) assert.ok(!['sat', 'sun'].includes(dayOfWeek(d)), `${d} is a weekend day`);
  assert.deepEqual(s.earlyClose, { '2026-11-27': '13:00', '2026-12-24': '13:00', '2027-11-26': '13:00' });
  for (const d of Object.keys(s.earlyClose!)) assert.ok(!['sat', 'sun'].includes(dayOfWeek(d)));
  // Every closed date carries a comment naming its holiday.
  const text = await readFile(path.join(repoRoot, 'profiles', 'trading-day.yaml'), 'utf8');
  for (const d of s.closedDates!) assert.match(text, new RegExp(`- ${d} +# \\S`));
});

test("the schedule file's own problems and those of the profiles it names come out together", async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'week.yaml'),
    schedule(`  timezone: Mars/Olympus
  default: off-hours
  windows:
    - { profile: canary, days: [sat], from: "10:00", to: "12:00" }
`),
  );
  await writeFile(path.join(dir, 'canary.yaml'), 'model:\n  name: cnn-lstm\n  version: 2\n');
  const got = await problems(loadProfileOrSchedule('week.yaml', { cwd: dir, env: {} }));
  assert.equal(got.length, 2, got.join('\n'));
  assert.match(got[0]!, /^week\.yaml:3:13 schedule\.timezone: got "Mars\/Olympus"/);
  assert.match(
    got[1]!,
    /^week\.yaml:6:18 schedule\.windows\[0\]\.profile: profile "canary" serves cnn-lstm@2 but "off-hours" \(the default\) serves cnn-lstm@latest/,
  );
});
