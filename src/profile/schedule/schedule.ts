// Which profile is active when (control plane, pure): weekly windows in a time zone, such as market
// hours Mon-Fri 09:30-16:00 America/New_York, with closed dates and early closes. The caller passes
// the time; every boundary is an exact instant (daylight-saving changes included), not a scan.
import { dayOfWeek, localToUtcMs, nextDate, previousDate, zonedTime, type Weekday, weekdays } from './zoned-time.js';

export { localTime, type LocalTime, type Weekday } from './zoned-time.js';

/** A weekly window in which `profile` is active. `from`/`to` are "HH:MM" or "HH:MM:SS" local times; `to` is exclusive. */
export interface ScheduleWindow {
  profile: string;
  /** Days the window starts on. A window with `to` at or before `from` runs past midnight into the next day. */
  days: Weekday[];
  from: string;
  /** "24:00" means the end of the day. */
  to: string;
  /** Replicas of `profile` are started this long before the window opens, so they are ready at the switch. */
  prewarmMs?: number;
}

export interface ProfileSchedule {
  /** IANA time zone the windows are written in, e.g. "America/New_York" (daylight saving included). */
  timezone: string;
  /** Checked in order; the first window containing the time wins. */
  windows: ScheduleWindow[];
  /** Active outside every window. */
  default: string;
  /** Local dates ("2026-12-25") on which no window applies, all day (holidays). */
  closedDates?: string[];
  /** Local date → "HH:MM[:SS]": windows that start that day end at this time at the latest. */
  earlyClose?: Record<string, string>;
}

/** US equity market hours: market-hours Mon-Fri 09:30-16:00 New York time, off-hours otherwise. */
export const marketHoursSchedule: ProfileSchedule = {
  timezone: 'America/New_York',
  windows: [{ profile: 'market-hours', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:30', to: '16:00' }],
  default: 'off-hours',
};

/** "09:30" or "09:30:15" → seconds since midnight; undefined when malformed. "24:00" is the end of a day. */
export function parseTimeOfDay(text: string): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$/.exec(text);
  if (!m) return undefined;
  const s = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
  return s <= 86_400 ? s : undefined;
}

/** One occurrence of a window: [startMs, endMs) in epoch milliseconds. */
export interface WindowInterval {
  startMs: number;
  endMs: number;
  /** Index of the window in the schedule (earlier windows win where they overlap). */
  window: number;
  profile: string;
  /** Local date the occurrence starts on. */
  date: string;
  /** True when an early close cut it short. */
  earlyClose: boolean;
}

/** Every occurrence of every window that starts on a local date from `firstDate` to `lastDate`. */
export function windowIntervals(s: ProfileSchedule, firstDate: string, lastDate: string): WindowInterval[] {
  const closed = new Set(s.closedDates ?? []);
  const out: WindowInterval[] = [];
  for (let date = firstDate; date <= lastDate; date = nextDate(date)) {
    if (closed.has(date)) continue;
    const day = dayOfWeek(date);
    const close = s.earlyClose?.[date] === undefined ? undefined : parseTimeOfDay(s.earlyClose[date]!);
    s.windows.forEach((w, index) => {
      const from = parseTimeOfDay(w.from);
      const to = parseTimeOfDay(w.to);
      if (from === undefined || to === undefined || !w.days.includes(day)) return;
      let endDate = to > from ? date : nextDate(date);
      let endS = to;
      let early = false;
      if (close !== undefined) {
        if (close <= from) return; // closes before it would open: no window that day
        if (endDate !== date || close < endS) {
          endDate = date;
          endS = close;
          early = true;
        }
      }
      // The tail of an overnight window stops at the start of a closed date.
      if (endDate !== date && closed.has(endDate)) endS = 0;
      const startMs = localToUtcMs(s.timezone, date, from);
      const endMs = localToUtcMs(s.timezone, endDate, endS);
      if (endMs > startMs) out.push({ startMs, endMs, window: index, profile: w.profile, date, earlyClose: early });
    });
  }
  return out;
}

/** Occurrences that may contain an instant: those starting from two days before its local date. */
function intervalsAround(s: ProfileSchedule, atMs: number, daysAhead = 1): WindowInterval[] {
  const today = zonedTime(s.timezone, new Date(atMs)).date;
  let last = today;
  for (let i = 0; i < daysAhead; i++) last = nextDate(last);
  return windowIntervals(s, previousDate(previousDate(today)), last);
}

/** The occurrence in force at `atMs` (the first window in schedule order that contains it), if any. */
function windowAt(intervals: readonly WindowInterval[], atMs: number): WindowInterval | undefined {
  let best: WindowInterval | undefined;
  for (const i of intervals)
    if (i.startMs <= atMs && atMs < i.endMs && (best === undefined || i.window < best.window)) best = i;
  return best;
}

/** The name of the profile active at `date` under `schedule`. */
export function activeProfile(schedule: ProfileSchedule, date: Date): string {
  return windowAt(intervalsAround(schedule, date.getTime()), date.getTime())?.profile ?? schedule.default;
}

/** One switch from one profile to another. */
export interface ScheduleSwitch {
  at: Date;
  from: string;
  profile: string;
  /** Why: a window opens or closes (early on an early-close day). */
  reason: 'opens' | 'closes' | 'early close';
  /** How long before `at` the new profile's replicas are started (the opening window's prewarm), 0 if none. */
  prewarmMs: number;
}

/** Every switch after `from` (exclusive) up to `to` (inclusive), in time order. */
export function switchesBetween(s: ProfileSchedule, from: Date, to: Date): ScheduleSwitch[] {
  const startDate = zonedTime(s.timezone, from).date;
  const endDate = nextDate(zonedTime(s.timezone, to).date);
  const intervals = windowIntervals(s, previousDate(previousDate(startDate)), endDate);
  const edges = [...new Set(intervals.flatMap((i) => [i.startMs, i.endMs]))]
    .filter((t) => t > from.getTime() && t <= to.getTime())
    .sort((a, b) => a - b);
  const out: ScheduleSwitch[] = [];
  let current = windowAt(intervals, from.getTime());
  for (const t of edges) {
    const next = windowAt(intervals, t);
    const was = current?.profile ?? s.default;
    const now = next?.profile ?? s.default;
    if (was !== now) {
      const opening = next !== undefined && next.startMs === t;
      const reason = opening ? 'opens' : current?.earlyClose && current.endMs === t ? 'early close' : 'closes';
      const prewarmMs = opening ? (s.windows[next.window]!.prewarmMs ?? 0) : 0;
      out.push({ at: new Date(t), from: was, profile: now, reason, prewarmMs });
    }
    current = next;
  }
  return out;
}

/**
 * The first switch after `date` (within `horizonMs`, default 8 days), or undefined; the controller
 * sets one timer for it instead of polling.
 */
export function nextChange(
  schedule: ProfileSchedule,
  date: Date,
  horizonMs = 8 * 86_400_000,
): ScheduleSwitch | undefined {
  // Search a day at a time so a long horizon does not compute weeks of windows for tomorrow's switch.
  const endMs = date.getTime() + horizonMs;
  for (let fromMs = date.getTime(); fromMs < endMs; fromMs += 86_400_000) {
    const found = switchesBetween(schedule, new Date(fromMs), new Date(Math.min(endMs, fromMs + 86_400_000)))[0];
    if (found) return found;
  }
  return undefined;
}

/** Every mistake in a schedule built in code, one line each (empty when valid); files get located problems instead. */
export function checkSchedule(schedule: ProfileSchedule): string[] {
  const problems: string[] = [];
  try {
    zonedTime(schedule.timezone, new Date(0));
  } catch {
    problems.push(
      `timezone: unknown time zone "${schedule.timezone}", expected an IANA name such ` + `as "America/New_York"`,
    );
  }
  schedule.windows.forEach((w, i) => {
    for (const [key, value] of [
      ['from', w.from],
      ['to', w.to],
    ] as const) {
      if (parseTimeOfDay(value) === undefined)
        problems.push(
          `windows[${i}].${key}: got "${value}", expected a time "HH:MM" or "HH:MM:SS" ` + `from 00:00 to 24:00`,
        );
    }
    if (w.from === w.to)
      problems.push(`windows[${i}]: from and to are both ${w.from}, expected a window of some length`);
    for (const d of w.days)
      if (!weekdays.includes(d))
        problems.push(`windows[${i}].days: got "${d}", expected one of ${weekdays.join(', ')}`);
    if (w.days.length === 0)
      problems.push(`windows[${i}].days: is empty, expected at least one of ${weekdays.join(', ')}`);
  });
  for (const d of schedule.closedDates ?? [])
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) problems.push(`closed_dates: got "${d}", expected a date "YYYY-MM-DD"`);
  return problems;
}
