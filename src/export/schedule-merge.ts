// One set of scaling values for a whole schedule (export plane, pure), for targets that cannot
// switch profiles by the clock: the floor of each window comes from cron, and every other value is
// the one that keeps the most replicas, with a warning wherever the profiles disagree.
import { formatDuration } from '../profile/fields/fields.js';
import type { LoadedSchedule } from '../profile/schedule/load.js';
import type { Profile } from '../profile/types.js';
import { cronWindows, type CronWindow } from './cron.js';
import type { ExportWarning } from './types.js';

/** A window's floor: from `start` to `end` (cron) at least `replicas`. */
export interface CronFloor extends CronWindow {
  replicas: number;
}

export interface MergedScaling {
  /** The schedule's default profile: the floor outside every window. */
  base: Profile;
  /** The profile with the highest replicas.min: what fixed settings (batching, a fixed count) follow. */
  busiest: Profile;
  minReplicas: number;
  maxReplicas: number;
  targetOngoingRequests: number;
  upscaleDelayMs: number;
  downscaleDelayMs: number;
  lookbackMs: number;
  metricsIntervalMs: number;
  floors: CronFloor[];
  warnings: ExportWarning[];
}

type Pick = 'max' | 'min';

/** Merges the schedule `s` for a target whose scaling cannot switch (`what` names it in warnings). */
export function mergeSchedule(s: LoadedSchedule, what: string): MergedScaling {
  const profiles = Object.entries(s.profiles);
  const base = s.profiles[s.schedule.default]!;
  const busiest = profiles.map(([, p]) => p).reduce((a, b) => (b.replicas.min > a.replicas.min ? b : a), base);
  const warnings: ExportWarning[] = [];
  const pick = (
    field: string,
    get: (p: Profile) => number,
    how: Pick,
    show: (v: number) => string = String,
  ): number => {
    const values = profiles.map(([name, p]) => [name, get(p)] as const);
    const chosen = how === 'max' ? Math.max(...values.map(([, v]) => v)) : Math.min(...values.map(([, v]) => v));
    if (new Set(values.map(([, v]) => v)).size > 1) {
      warnings.push({
        field,
        message:
          `${values.map(([n, v]) => `${n} ${show(v)}`).join(', ')}: ${what} holds one ` +
          `value all day, so ${show(chosen)} is written (the one that keeps more replicas)`,
      });
    }
    return chosen;
  };
  const ms = formatDuration;
  const merged: MergedScaling = {
    base,
    busiest,
    minReplicas: base.replicas.min,
    maxReplicas: pick('replicas.max', (p) => p.replicas.max, 'max'),
    targetOngoingRequests: pick(
      'autoscaling.target_ongoing_requests',
      (p) => p.autoscaling.targetOngoingRequests,
      'min',
    ),
    upscaleDelayMs: pick('autoscaling.upscale_delay', (p) => p.autoscaling.upscaleDelayMs, 'min', ms),
    downscaleDelayMs: pick('autoscaling.downscale_delay', (p) => p.autoscaling.downscaleDelayMs, 'max', ms),
    lookbackMs: pick('autoscaling.look_back', (p) => p.autoscaling.lookbackMs, 'min', ms),
    metricsIntervalMs: pick('autoscaling.metrics_interval', (p) => p.autoscaling.metricsIntervalMs, 'min', ms),
    floors: cronWindows(s.schedule).map((w) => ({ ...w, replicas: s.profiles[w.profile]!.replicas.min })),
    warnings,
  };
  if (profiles.some(([, p]) => JSON.stringify(p.batching) !== JSON.stringify(busiest.batching))) {
    warnings.push({
      field: 'batching',
      message:
        `the profiles batch differently; ${what} cannot switch batching by the clock, ` +
        `so ${busiest.name}'s (the busiest profile's) is written`,
    });
  }
  warnings.push(...calendarWarnings(s, what));
  if (merged.floors.some((f) => f.rounded))
    warnings.push({
      field: 'schedule.windows',
      message:
        'cron has minute resolution: window times with seconds start at the minute ' +
        'before and end at the minute after',
    });
  return merged;
}

/** Closed dates and early closes: cron has no calendar. */
export function calendarWarnings(s: LoadedSchedule, what: string): ExportWarning[] {
  const out: ExportWarning[] = [];
  const closed = s.schedule.closedDates ?? [];
  const early = Object.keys(s.schedule.earlyClose ?? {});
  if (closed.length > 0) {
    out.push({
      field: 'schedule.closed_dates',
      message:
        `${closed.length} closed date(s) (${closed[0]} .. ${closed.at(-1)}) cannot be ` +
        `expressed in cron: ${what} holds the windows' floors on those days too (more ` +
        `replicas than needed, never fewer)`,
    });
  }
  if (early.length > 0) {
    out.push({
      field: 'schedule.early_close',
      message:
        `${early.length} early close(s) (${early.join(', ')}) cannot be expressed in ` +
        `cron: ${what} holds the floor until the window's usual end on those days`,
    });
  }
  return out;
}
