// The scaling lines of the cluster status (cli, pure): the schedule and its next switch, autoscaling
// bounds, signal and pin, and the recent replica counts as a sparkline.
import { formatMs } from '../../common/units.js';
import type { ClusterStatus } from '../../common/cluster-status.js';

/** "Schedule trading-day: market-hours now; off-hours at 16:00:00 America/New_York (21:00:00 UTC, closes)". */
export function renderSchedule(sch: NonNullable<ClusterStatus['schedule']>): string {
  const next = sch.next
    ? `; ${sch.next.profile} at ${localClock(sch.next.at, sch.timezone)} ` +
      `${sch.timezone} (${sch.next.at.slice(0, 10)} ${sch.next.at.slice(11, 19)} UTC, ` +
      `${sch.next.reason})` +
      `${sch.next.prewarmAt ? `, prewarm from ${localClock(sch.next.prewarmAt, sch.timezone)}` : ''}`
    : '; no switch within 8 days';
  return `Schedule ${sch.name}: ${sch.active} now${next}`;
}

function localClock(iso: string, timezone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return f.format(new Date(iso)).replace(',', '');
}

/** The autoscaling lines: bounds, pin, the signal and what the policy wants, the recent replica counts. */
export function renderAutoscaling(s: ClusterStatus): string[] {
  const a = s.autoscaling;
  const signal =
    a.signal === undefined
      ? ''
      : ` · signal ${a.signal.toFixed(1)} (in flight ` +
        `${(a.averageInFlight ?? 0).toFixed(1)} + queued ` +
        `${(a.averageQueued ?? 0).toFixed(1)})` +
        `${a.p99Ms !== undefined ? `, p99 ${a.p99Ms.toFixed(1)}ms` : ''} -> wants ` +
        `${a.wantedReplicas}`;
  const state = !a.enabled
    ? 'off'
    : a.pinned !== undefined
      ? `pinned at ${a.pinned} by \`serve scale\` (\`serve scale auto\` resumes)`
      : 'on';
  const guard = a.latencyGuard ? ', latency guard on' : '';
  const floor = a.floor !== undefined ? `, at least ${a.floor} until the switch (prewarm)` : '';
  const lines = [
    `Autoscaling ${state}: ${s.desiredReplicas} replica` +
      `${s.desiredReplicas === 1 ? '' : 's'} now (${a.minReplicas}..${a.maxReplicas}, ` +
      `target ${a.targetOngoingRequests} per replica${guard}${floor})${signal}`,
  ];
  if (a.history.length > 1)
    lines.push(
      `Replicas over the last ` +
        `${formatMs(Date.parse(a.history.at(-1)!.at) - Date.parse(a.history[0]!.at))}: ` +
        `${sparkline(a.history.map((h) => h.replicas))} (${a.history[0]!.replicas} -> ` +
        `${a.history.at(-1)!.replicas})`,
    );
  return lines;
}

/** One character per value, from ▁ (the lowest) to █ (the highest); at most the last 60. */
export function sparkline(values: readonly number[]): string {
  const v = values.slice(-60);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const bars = '▁▂▃▄▅▆▇█';
  return v.map((x) => bars[hi === lo ? 0 : Math.round(((x - lo) / (hi - lo)) * (bars.length - 1))]).join('');
}
