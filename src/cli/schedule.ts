// `serve schedule show` (cli): the coming switches of a schedule profile in its local time and in
// UTC, daylight-saving changes included. Reads only the schedule and the profiles it names (no model
// registry, no running cluster).
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { activeProfile, switchesBetween, type ScheduleSwitch } from '../profile/schedule/schedule.js';
import { loadProfileOrSchedule, type LoadedSchedule } from '../profile/schedule/load.js';
import { isCalendarDate, localToUtcMs, nextDate, zonedTime } from '../profile/schedule/zoned-time.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { compactTable } from './table.js';

interface ShowFlags {
  days: string;
  from?: string;
  json?: boolean;
}

/** The coming switches of a schedule as plain data (what --json prints). */
export interface ScheduleListing {
  name: string;
  timezone: string;
  from: string;
  to: string;
  /** The profile active at `from`. */
  active: string;
  /** Closed dates and early closes in the period (local dates). */
  closedDates: string[];
  earlyCloses: Array<{ date: string; time: string }>;
  switches: Array<{
    at: string;
    local: string;
    from: string;
    to: string;
    reason: string;
    prewarmAt?: string;
    utcOffset: string;
  }>;
}

/** Lists the switches of `s` after `from` up to `to` (pure). */
export function listSwitches(s: LoadedSchedule, from: Date, to: Date): ScheduleListing {
  const tz = s.schedule.timezone;
  const firstDate = zonedTime(tz, from).date;
  const lastDate = zonedTime(tz, to).date;
  const inRange = (d: string) => d >= firstDate && d <= lastDate;
  return {
    name: s.name,
    timezone: tz,
    from: from.toISOString(),
    to: to.toISOString(),
    active: activeProfile(s.schedule, from),
    closedDates: (s.schedule.closedDates ?? []).filter(inRange),
    earlyCloses: Object.entries(s.schedule.earlyClose ?? {})
      .filter(([d]) => inRange(d))
      .map(([date, time]) => ({ date, time })),
    switches: switchesBetween(s.schedule, from, to).map((sw: ScheduleSwitch) => ({
      at: sw.at.toISOString(),
      local: localIso(tz, sw.at),
      from: sw.from,
      to: sw.profile,
      reason: sw.reason,
      utcOffset: offsetText(zonedTime(tz, sw.at).offsetMs),
      ...(sw.prewarmMs > 0 ? { prewarmAt: new Date(sw.at.getTime() - sw.prewarmMs).toISOString() } : {}),
    })),
  };
}

/** The listing as a table for people: local time (with the zone's abbreviation), UTC, what switches. */
export function renderListing(l: ScheduleListing): string {
  const lines = [
    `${l.name} (${l.timezone}): ${l.active} at ` +
      `${localText(l.timezone, new Date(l.from))}; switches until ` +
      `${localText(l.timezone, new Date(l.to))}`,
  ];
  if (l.switches.length === 0) lines.push('  no switch in this period');
  let offset = l.switches[0]!.utcOffset;
  const rows = l.switches.map((sw) => {
    const note = sw.utcOffset !== offset ? `daylight-saving change: now UTC${sw.utcOffset}` : '';
    offset = sw.utcOffset;
    const prewarm = sw.prewarmAt ? `from ${localText(l.timezone, new Date(sw.prewarmAt)).slice(11)}` : '-';
    return [
      localText(l.timezone, new Date(sw.at)),
      `${sw.at.slice(0, 10)} ${sw.at.slice(11, 19)}`,
      `${sw.from} -> ${sw.to}`,
      sw.reason,
      prewarm,
      note,
    ];
  });
  lines.push(compactTable(['local time', 'UTC', 'switch', 'why', 'prewarm', ''], rows, 60));
  if (l.closedDates.length > 0) lines.push(`closed all day (the default profile): ${l.closedDates.join(', ')}`);
  if (l.earlyCloses.length > 0)
    lines.push(`early closes: ${l.earlyCloses.map((e) => `${e.date} at ${e.time}`).join(', ')}`);
  return lines.join('\n');
}

/** "2026-03-09 09:30:00 EDT". */
function localText(tz: string, at: Date): string {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ` + `${p.timeZoneName}`;
}

/** "2026-03-09T09:30:00-04:00". */
function localIso(tz: string, at: Date): string {
  const t = zonedTime(tz, at);
  const s = t.second;
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return `${t.date}T${hms}${offsetText(t.offsetMs)}`;
}

function offsetText(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  return `${ms < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:` + `${String(m % 60).padStart(2, '0')}`;
}

async function show(ref: string, flags: ShowFlags): Promise<number> {
  const days = Number(flags.days);
  if (!/^\d+$/.test(flags.days) || days < 1 || days > 366)
    throw new UserError(`--days must be a whole number from 1 to 366, got "${flags.days}"`);
  if (flags.from !== undefined && !isCalendarDate(flags.from))
    throw new UserError(
      `--from must be a date "YYYY-MM-DD" (midnight in the schedule's time zone), got ` + `"${flags.from}"`,
    );
  const loaded = await loadProfileOrSchedule(ref);
  if (loaded.kind !== 'schedule')
    throw new UserError(
      `${ref} is a single profile, not a schedule: it has no switches (a schedule has ` +
        `a top-level schedule: key; see profiles/trading-day.yaml)`,
    );
  const s = loaded.schedule;
  const tz = s.schedule.timezone;
  const now = new Date();
  const startDate = flags.from ?? zonedTime(tz, now).date;
  let endDate = startDate;
  for (let i = 0; i < days; i++) endDate = nextDate(endDate);
  const from = flags.from === undefined ? now : new Date(localToUtcMs(tz, startDate, 0));
  // Whole local days: the period ends at local midnight, whatever daylight saving does in between.
  const to =
    flags.from === undefined ? new Date(now.getTime() + days * 86_400_000) : new Date(localToUtcMs(tz, endDate, 0));
  const listing = listSwitches(s, from, to);
  if (flags.json) printJson(listing);
  else process.stdout.write(renderListing(listing) + '\n');
  return 0;
}

export function register(program: Command): void {
  const schedule = program.command('schedule').description('Schedule profiles: which profile is active when.');
  schedule
    .command('show')
    .description(
      'List the coming switches of a schedule profile in its local time and in UTC ' +
        '(daylight-saving changes included); needs no model registry.',
    )
    .argument('<schedule>', 'schedule name (./profiles/<name>.yaml, then the shipped ones) or path of a .yaml file')
    .option('--days <n>', 'how many days to list', '7')
    .option('--from <date>', 'start at midnight of this local date (YYYY-MM-DD) instead of now')
    .option('--json', 'print the switches as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve schedule show trading-day
  $ serve schedule show ` +
        `trading-day --from 2026-11-23 --days 7    Thanksgiving week: a closed day and ` +
        `an early close
  $ serve schedule show ./week.yaml --days 30 --json`,
    )
    .action(action((ref: string, flags: ShowFlags) => show(ref, flags)));
}
