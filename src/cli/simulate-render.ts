// Renders a simulation (cli): the text report (replicas over time, p99 per minute, replica-minutes,
// minutes that miss the targets) and the HTML page (load, replicas and predicted p99 on one time
// axis), from the plain SimulationResult.
import type { Profile } from '../profile/types.js';
import { stackedCharts, type Series } from '../report/line-chart.js';
import { htmlPage } from '../report/page.js';
import type { SimulationResult } from '../simulate/simulation.js';
import { sparkline } from './status/scaling.js';
import { compactTable } from './table.js';

/** "1:1.20ms, 8:4.00ms, 32:14.0ms". */
export function serviceText(r: SimulationResult): string {
  return r.serviceTime.points.map(([b, ms]) => `${b}:${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)}ms`).join(', ');
}

/** The simulation for people. */
export function renderSimulation(r: SimulationResult, profile: Profile): string {
  const s = r.summary;
  const a = profile.autoscaling;
  const lines = [
    `${profile.name} on ${r.trace.source}: ${r.trace.seconds} s simulated`,
    `  replicas ${profile.replicas.min}..${profile.replicas.max} (start ` +
      `${profile.replicas.initial}), target ${a.targetOngoingRequests} per replica, up ` +
      `after ${a.upscaleDelayMs / 1000}s, down after ${a.downscaleDelayMs / 1000}s` +
      `${a.latencyGuard ? ', latency guard on' : ''}`,
    `  batch ${profile.batching.maxBatchSize} within ${profile.batching.batchWaitMs}` +
      `ms (${profile.batching.mode}, at most ${profile.batching.maxQueuedRequests} queued); service time per batch ${serviceText(r)} (${r.serviceTime.source}); a new ` +
      `replica is ready ${r.startupMs / 1000}s after it is asked for`,
    `  handling ${r.handlingMs}ms per request on the replica's main thread, one at a time; ${r.arrivals} arrivals`,
  ];
  const buckets = Math.max(1, Math.ceil(r.seconds.length / 60));
  const perBucket = Array.from({ length: Math.ceil(r.seconds.length / buckets) }, (_, i) =>
    Math.max(...r.seconds.slice(i * buckets, (i + 1) * buckets).map((x) => x.replicas)),
  );
  lines.push(
    `Replicas over time (each mark ${buckets} s): ${sparkline(perBucket)}  (` +
      `${Math.min(...perBucket)}..${Math.max(...perBucket)})`,
  );
  const rows = s.minutes.map((m) => {
    const secs = r.seconds.slice(m.minute * 60, m.minute * 60 + 60);
    const reps = secs.map((x) => x.replicas);
    return [
      m.minute,
      (secs.reduce((x, y) => x + y.ratePerSec, 0) / secs.length).toFixed(0),
      Math.min(...reps) === Math.max(...reps) ? String(reps[0]) : `${Math.min(...reps)}-${Math.max(...reps)}`,
      m.p50Ms.toFixed(1),
      m.p99Ms.toFixed(1),
      m.maxMs.toFixed(1),
      m.failed,
      m.replicaMinutes.toFixed(1),
      m.missed.length === 0 ? 'ok' : m.missed.join('; '),
    ];
  });
  lines.push(
    compactTable(
      ['minute', 'req/s', 'replicas', 'p50 ms', 'p99 ms', 'max ms', 'failed', 'replica-min', 'targets'],
      rows,
      70,
    ),
  );
  if (r.decisions.length > 0) {
    lines.push('Scaling decisions:');
    for (const d of r.decisions.slice(0, 40)) lines.push(`  ${clock(d.second)} ${d.from} -> ${d.to}: ${d.reason}`);
    if (r.decisions.length > 40) lines.push(`  and ${r.decisions.length - 40} more (--json lists every one)`);
  }
  lines.push(
    `Replica-minutes: ${s.replicaMinutes.toFixed(1)} · at most ${s.maxReplicas} ` +
      `replicas · p99 over the whole trace ${s.p99Ms.toFixed(1)}ms · ${s.failed} of ` +
      `${s.requests} requests failed`,
    s.missedMinutes === 0
      ? `Targets met in every one of ${s.minutes.length} minutes`
      : `Targets missed in ${s.missedMinutes} of ${s.minutes.length} minutes`,
  );
  return lines.join('\n');
}

/** m:ss or h:mm:ss. */
function clock(seconds: number): string {
  const t = Math.round(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The simulation as a self-contained HTML page: load, replicas and predicted p99 on one time axis. */
export function simulationHtml(r: SimulationResult, profile: Profile): string {
  const sec = r.seconds;
  const load: Series[] = [
    { name: 'requests/s (trace)', points: sec.map((x) => [x.second, x.ratePerSec]), curve: 'step' },
  ];
  const replicas: Series[] = [
    { name: 'replicas (aimed for)', points: sec.map((x) => [x.second, x.replicas]), curve: 'step' },
    { name: 'ready', points: sec.map((x) => [x.second, x.ready]), curve: 'step', dashed: true },
  ];
  const p99: Series[] = [
    {
      name: 'p99 per second',
      points: sec.filter((x) => x.p99Ms !== undefined).map((x) => [x.second, Math.max(0.1, x.p99Ms!)]),
    },
    {
      name: 'p99 per minute',
      points: r.summary.minutes.map((m) => [m.minute * 60 + 30, Math.max(0.1, m.p99Ms)]),
      curve: 'linear',
      dashed: true,
    },
  ];
  const targets =
    profile.slo.p99Ms === undefined ? [] : [{ y: profile.slo.p99Ms, label: `p99 target ${profile.slo.p99Ms}ms` }];
  const chart = stackedCharts({
    title: `${profile.name}: load, replicas and predicted p99`,
    x: { label: 'time into the trace', kind: 'time' },
    panels: [
      { y: { label: 'req/s' }, series: load, height: 150 },
      { y: { label: 'replicas' }, series: replicas, height: 150 },
      { y: { label: 'p99 (ms, log)', kind: 'log' }, series: p99, targets, height: 190 },
    ],
  });
  const s = r.summary;
  return htmlPage({
    title: `Autoscaling simulation: ${profile.name}`,
    subtitle:
      `${r.trace.source}, ${r.trace.seconds} s · service time per batch ` +
      `${serviceText(r)} · handling ${r.handlingMs}ms per request · replicas ready ${r.startupMs / 1000}s after they are asked for`,
    sections: [
      {
        heading: 'Over time',
        paragraphs: [
          `Replica-minutes ${s.replicaMinutes.toFixed(1)}, at most ${s.maxReplicas} ` +
            `replicas; targets missed in ${s.missedMinutes} of ${s.minutes.length} minutes; ` +
            `${s.failed} of ${s.requests} requests failed.`,
        ],
        charts: [chart],
      },
      {
        heading: 'Per minute',
        tables: [
          {
            head: ['minute', 'replicas (avg)', 'p50 ms', 'p99 ms', 'max ms', 'failed', 'replica-minutes', 'targets'],
            rows: s.minutes.map((m) => [
              m.minute,
              m.replicas.toFixed(1),
              m.p50Ms.toFixed(1),
              m.p99Ms.toFixed(1),
              m.maxMs.toFixed(1),
              m.failed,
              m.replicaMinutes.toFixed(1),
              m.missed.join('; ') || 'ok',
            ]),
          },
        ],
      },
      {
        heading: 'Scaling decisions',
        tables: [
          {
            head: ['time', 'from', 'to', 'why'],
            rows: r.decisions.map((d) => [clock(d.second), d.from, d.to, d.reason]),
          },
        ],
      },
    ],
  });
}
