// Schedule mistakes that are legal but almost surely unmeant (control plane, pure): a window that
// earlier windows cover entirely (the first window containing a time wins, so it never applies), and
// a closed date listed twice. Reported as warnings: the schedule still loads.
import { parseTimeOfDay, type ScheduleWindow } from './schedule.js';
import { weekdays } from './zoned-time.js';

const DAY_S = 86_400;
const WEEK_S = 7 * DAY_S;

/** A half-open span of seconds within the week, Monday 00:00 = 0. */
type Span = [startS: number, endS: number];

/** Where window `index` runs in a week, wrapping Sunday night into Monday morning; [] when malformed. */
function weeklySpans(w: ScheduleWindow): Span[] {
  const from = parseTimeOfDay(w.from);
  const to = parseTimeOfDay(w.to);
  if (from === undefined || to === undefined || from === to) return [];
  const out: Span[] = [];
  for (const day of w.days) {
    const d = weekdays.indexOf(day);
    if (d < 0) continue;
    const start = d * DAY_S + from;
    const end = d * DAY_S + (to > from ? to : DAY_S + to);
    if (end <= WEEK_S) out.push([start, end]);
    else out.push([start, WEEK_S], [0, end - WEEK_S]);
  }
  return out;
}

/** The union of `spans`, sorted and merged. */
function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}

function covered(span: Span, union: readonly Span[]): boolean {
  return union.some(([a, b]) => a <= span[0] && span[1] <= b);
}

/**
 * Windows that never apply in a regular week, each with the earlier windows that cover it (by
 * index). Closed dates and early closes cut windows the same way whichever wins, so the weekly
 * pattern decides.
 */
export function shadowedWindows(windows: readonly ScheduleWindow[]): Array<{ window: number; by: number[] }> {
  const out: Array<{ window: number; by: number[] }> = [];
  windows.forEach((w, j) => {
    const mine = weeklySpans(w);
    if (mine.length === 0 || j === 0) return;
    const earlier = windows.slice(0, j).map(weeklySpans);
    const union = merge(earlier.flat());
    if (!mine.every((s) => covered(s, union))) return;
    const by = earlier.flatMap((spans, i) =>
      spans.some((a) => mine.some((b) => a[0] < b[1] && b[0] < a[1])) ? [i] : [],
    );
    out.push({ window: j, by });
  });
  return out;
}

/** Each repeat of a closed date: its index in the list and the index where it first appears. */
export function duplicateDates(dates: readonly string[]): Array<{ index: number; first: number }> {
  const seen = new Map<string, number>();
  const out: Array<{ index: number; first: number }> = [];
  dates.forEach((d, i) => {
    const first = seen.get(d);
    if (first === undefined) seen.set(d, i);
    else out.push({ index: i, first });
  });
  return out;
}
