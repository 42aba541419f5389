// A schedule's weekly windows as cron expressions (export plane, pure): one start and one end per
// window, in the schedule's time zone, the start moved earlier by the window's prewarm. KEDA's cron
// scaler and a crontab read them; neither knows closed dates or early closes (the caller warns).
import { parseTimeOfDay, type ProfileSchedule, type Weekday } from '../profile/schedule/schedule.js';

const CRON_DAY: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** One window as cron: active from `start` until `end` (5-field expressions, minute resolution). */
export interface CronWindow {
  /** Index of the window in the schedule. */
  window: number;
  profile: string;
  timezone: string;
  start: string;
  end: string;
  /** True when a time had seconds, which cron cannot hold (start rounded down, end up). */
  rounded: boolean;
}

/** "1-5" for mon..fri, "0,6" for the weekend: days as cron's day-of-week field. */
export function cronDays(days: readonly number[]): string {
  const sorted = [...new Set(days.map((d) => ((d % 7) + 7) % 7))].sort((a, b) => a - b);
  if (sorted.length === 7) return '*';
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/** "M H * * D" for a minute of the day (may be < 0 or >= 1440: the days shift) on `days`. */
function at(minute: number, days: readonly number[]): string {
  const shift = Math.floor(minute / 1440);
  const m = minute - shift * 1440;
  return `${m % 60} ${Math.floor(m / 60)} * * ${cronDays(days.map((d) => d + shift))}`;
}

/** Every window of `s` as a cron start and end; a window past midnight ends on the next days. */
export function cronWindows(s: ProfileSchedule): CronWindow[] {
  return s.windows.map((w, window) => {
    const fromS = parseTimeOfDay(w.from)!;
    const toS = parseTimeOfDay(w.to)!;
    const days = w.days.map((d) => CRON_DAY[d]);
    const startMin = Math.floor(fromS / 60) - Math.ceil((w.prewarmMs ?? 0) / 60_000);
    // `to` at or before `from` runs into the next day.
    const endMin = Math.ceil(toS / 60) + (toS <= fromS ? 1440 : 0);
    return {
      window,
      profile: w.profile,
      timezone: s.timezone,
      start: at(startMin, days),
      end: at(endMin, days),
      rounded: fromS % 60 !== 0 || toS % 60 !== 0,
    };
  });
}
