// Which profile is active when (control plane): weekly time windows in a time zone, such as market
// hours Mon-Fri 09:30-16:00 America/New_York. Pure: the caller passes the time.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
const weekdays: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A weekly window in which `profile` is active. `from`/`to` are "HH:MM" local times; `to` is exclusive. */
export interface ScheduleWindow {
  profile: string;
  /** Days the window starts on. A window with `to` before `from` runs past midnight into the next day. */
  days: Weekday[];
  from: string;
  /** "24:00" means the end of the day. */
  to: string;
}

export interface ProfileSchedule {
  /** IANA time zone the windows are written in, e.g. "America/New_York" (daylight saving included). */
  timezone: string;
  /** Checked in order; the first window containing the time wins. */
  windows: ScheduleWindow[];
  /** Active outside every window. */
  default: string;
  /** Local dates ("2026-12-25") on which no window applies (holidays). */
  closedDates?: string[];
}

/** US equity market hours: market-hours Mon-Fri 09:30-16:00 New York time, off-hours otherwise. */
export const marketHoursSchedule: ProfileSchedule = {
  timezone: 'America/New_York',
  windows: [{ profile: 'market-hours', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:30', to: '16:00' }],
  default: 'off-hours',
};

/** Local wall-clock time of `date` in `timezone`. */
export interface LocalTime {
  day: Weekday;
  /** Minutes since local midnight. */
  minute: number;
  /** "YYYY-MM-DD" local date. */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `timezone` at `date` (throws RangeError for an unknown time zone). */
export function localTime(timezone: string, date: Date): LocalTime {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(date).map((p) => [p.type, p.value]));
  return {
    day: (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

/** "09:30" → 570; undefined when malformed. "24:00" is allowed as the end of a day. */
export function parseClock(text: string): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m) return undefined;
  const minute = Number(m[1]) * 60 + Number(m[2]);
  return minute <= 24 * 60 ? minute : undefined;
}

/** The name of the profile active at `date` under `schedule`. */
export function activeProfile(schedule: ProfileSchedule, date: Date): string {
  const t = localTime(schedule.timezone, date);
  if (schedule.closedDates?.includes(t.date)) return schedule.default;
  const yesterday = weekdays[(weekdays.indexOf(t.day) + 6) % 7]!;
  for (const w of schedule.windows) {
    const from = parseClock(w.from);
    const to = parseClock(w.to);
    if (from === undefined || to === undefined) continue;
    if (from < to) {
      if (w.days.includes(t.day) && t.minute >= from && t.minute < to) return w.profile;
    } else if ((w.days.includes(t.day) && t.minute >= from) || (w.days.includes(yesterday) && t.minute < to)) {
      return w.profile;
    }
  }
  return schedule.default;
}

/**
 * The first minute after `date` (within `horizonMs`, default 8 days) at which the active profile
 * changes, or undefined; the controller sets one timer for it instead of polling.
 */
export function nextChange(schedule: ProfileSchedule, date: Date, horizonMs = 8 * 24 * 3_600_000): { at: Date; profile: string } | undefined {
  const now = activeProfile(schedule, date);
  const start = Math.floor(date.getTime() / 60_000) * 60_000 + 60_000;
  for (let t = start; t <= date.getTime() + horizonMs; t += 60_000) {
    const p = activeProfile(schedule, new Date(t));
    if (p !== now) return { at: new Date(t), profile: p };
  }
  return undefined;
}

/** Every mistake in a schedule, one line each (empty when valid). */
export function checkSchedule(schedule: ProfileSchedule): string[] {
  const problems: string[] = [];
  try {
    localTime(schedule.timezone, new Date(0));
  } catch {
    problems.push(`timezone: unknown time zone "${schedule.timezone}", expected an IANA name such as "America/New_York"`);
  }
  schedule.windows.forEach((w, i) => {
    for (const [key, value] of [['from', w.from], ['to', w.to]] as const) {
      if (parseClock(value) === undefined) problems.push(`windows[${i}].${key}: got "${value}", expected a time "HH:MM" from 00:00 to 24:00`);
    }
    if (w.from === w.to) problems.push(`windows[${i}]: from and to are both ${w.from}, expected a window of some length`);
    for (const d of w.days) if (!weekdays.includes(d)) problems.push(`windows[${i}].days: got "${d}", expected one of ${weekdays.join(', ')}`);
    if (w.days.length === 0) problems.push(`windows[${i}].days: is empty, expected at least one of ${weekdays.join(', ')}`);
  });
  for (const d of schedule.closedDates ?? []) if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) problems.push(`closed_dates: got "${d}", expected a date "YYYY-MM-DD"`);
  return problems;
}
