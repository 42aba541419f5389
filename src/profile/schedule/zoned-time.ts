// Wall-clock time in an IANA time zone (control plane, pure): local dates and times of an instant,
// and the instant of a local date and time, daylight-saving gaps and overlaps included. Uses the
// runtime's Intl time-zone data; no library.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const weekdays: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Local wall-clock time of an instant in a time zone. */
export interface LocalTime {
  day: Weekday;
  /** "YYYY-MM-DD" local date. */
  date: string;
  /** Minutes since local midnight. */
  minute: number;
  /** Seconds since local midnight. */
  second: number;
  /** Offset from UTC in milliseconds (-4 h in New York in summer is -14,400,000). */
  offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True when the runtime knows `timezone` ("America/New_York", "UTC"). */
export function isTimeZone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time in `timezone` at `date` (throws RangeError for an unknown time zone). */
export function zonedTime(timezone: string, date: Date): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timezone).formatToParts(date)) parts[p.type] = p.value;
  const [y, mo, d, h, mi, s] = [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map(
    Number,
  ) as number[];
  const wallMs = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const second = h! * 3600 + mi! * 60 + s!;
  return {
    day: (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday,
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minute: Math.floor(second / 60),
    second,
    offsetMs: wallMs - Math.floor(date.getTime() / 1000) * 1000,
  };
}

/** The same as zonedTime, under the name the schedule library has always exported. */
export const localTime = zonedTime;

/** Milliseconds of "YYYY-MM-DD" at 00:00 UTC. */
function dateMs(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The local date after `date` ("2026-12-31" → "2027-01-01"). */
export function nextDate(date: string): string {
  return formatDate(dateMs(date) + 86_400_000);
}

/** The local date before `date`. */
export function previousDate(date: string): string {
  return formatDate(dateMs(date) - 86_400_000);
}

/** Weekday of a calendar date (the same everywhere). */
export function dayOfWeek(date: string): Weekday {
  return weekdays[(new Date(dateMs(date)).getUTCDay() + 6) % 7]!;
}

/** True for a real calendar date written "YYYY-MM-DD" (2026-02-30 is not). */
export function isCalendarDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && formatDate(dateMs(text)) === text;
}

/**
 * The instant at which the wall clock in `timezone` shows `date` plus `second` seconds (86,400 is
 * the next midnight). A time skipped by a daylight-saving jump (02:30 on a spring-forward night)
 * maps to the instant it would have been had the clock not jumped (03:30 new time), and a time
 * that occurs twice (01:30 on a fall-back night) to its first occurrence, as Temporal and most
 * calendars do.
 */
export function localToUtcMs(timezone: string, date: string, second: number): number {
  const wallMs = dateMs(date) + second * 1000;
  // At most one offset change lies within a day of any instant in real time zones.
  const before = zonedTime(timezone, new Date(wallMs - 86_400_000)).offsetMs;
  const after = zonedTime(timezone, new Date(wallMs + 86_400_000)).offsetMs;
  const candidates = [...new Set([wallMs - before, wallMs - after])].sort((a, b) => a - b);
  const exact = candidates.filter((t) => zonedTime(timezone, new Date(t)).offsetMs + t === wallMs);
  return exact.length > 0 ? exact[0]! : wallMs - before;
}
