// Hindsight for bench/autoscale-sim-live.ts (bench): is one handling time per run enough? For each
// run recorded in bench/results/<name>.json, the handling time an M/D/1 queue needs to hold the mean
// stay that the live replicas reported over the whole high phase (each replica at its own rate,
// weighed by requests: after the decisions, so a fit, not a prediction), simulated on the trace sent
// and compared as the bench does (replicas, decisions, replica-seconds; no latencies).
// Usage: node dist/bench/sim-live-hindsight.js [--name autoscale-sim-live-handling]
// Writes bench/results/<name>-hindsight.md.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Profile } from '../src/profile/types.js';
import { simulate } from '../src/simulate/cluster-model.js';
import { serviceMs, type ServiceTimeModel } from '../src/simulate/service-time.js';
import type { RunRecord } from './autoscale-sim-live.js';
import { repoRoot } from './replica-harness.js';
import { md1ServiceMs, stayIn } from './replica-stay.js';
import { compare } from './sim-live-compare.js';
import type { LiveRun, Phase } from './sim-live-harness.js';
import { decisionText, pct } from './sim-live-report.js';

const { values } = parseArgs({ options: { name: { type: 'string', default: 'autoscale-sim-live-handling' } } });
const file = path.join(repoRoot, 'bench', 'results', `${values.name}.json`);
const data = JSON.parse(await readFile(file, 'utf8')) as {
  plan: Phase[];
  serviceTime: ServiceTimeModel;
  runs: RunRecord[];
};
const { plan, serviceTime } = data;
// The profile the bench runs, without starting anything: startLocal's profile is what it changes.
const profileOf = (mode: RunRecord['mode'], base: Profile): Profile => ({
  ...base,
  replicas: { ...base.replicas, min: 1, max: 2, initial: 1 },
  autoscaling: {
    ...base.autoscaling,
    enabled: true,
    targetOngoingRequests: 1,
    upscaleDelayMs: 10_000,
    downscaleDelayMs: 30_000,
  },
  batching: { ...base.batching, mode },
});
const { loadProfile } = await import('../src/profile/index.js');
const base = await loadProfile('local', { env: { ...process.env, SERVE_PORT: '0', SERVE_MODELS: '/tmp' } });
const highFromS = plan[0]!.seconds;
const highToS = highFromS + plan[1]!.seconds;
const lines = [
  `# Hindsight: one handling time per run, fitted over the whole high phase (${values.name})`,
  '',
  'The handling time an M/D/1 queue needs to hold the mean stay each live replica reported over the whole 250 req/s phase (at its own rate; weighed by requests), less the simulated run; random arrivals. A fit after the fact, not a prediction.',
  '',
  '| mode | run | load average | handling ms | peak live / sim | replica-s live / sim | error | decisions (live / sim, s) | targets |',
  '|---|---:|---|---:|---:|---:|---:|---|---|',
];
for (const r of data.runs) {
  const ids = [...new Set(r.live.stay.map((s) => s.id))];
  const parts = ids.flatMap((id) => stayIn(r.live.stay, id, highFromS, highToS) ?? []);
  const n = parts.reduce((a, p) => a + p.requests, 0);
  const run1 = serviceMs(serviceTime, 1);
  const handlingMs = parts.reduce((a, p) => a + md1ServiceMs(p.ratePerSec, p.stayMs - run1) * p.requests, 0) / n;
  const sim = simulate({
    profile: profileOf(r.mode, base),
    trace: { ratePerSec: r.sent, source: 'live' },
    serviceTime,
    startupMs: r.startupS * 1000,
    initialReplicas: 1,
    handlingMs,
    arrivals: 'random',
  });
  const live = {
    ...r.live,
    load: { answers: [], sentPerSecond: r.sent, startedAtWallMs: 0, startedAtPerfMs: 0 },
  } as LiveRun;
  const c = compare(live, sim, [], plan);
  const met = c.samePeak && c.replicaSecondsWithin10 && c.decisionsWithin10s;
  lines.push(
    `| ${r.mode} | ${r.run} | ${r.load.replace('load average ', '')} | ${handlingMs.toFixed(2)} | ${c.livePeak} / ${c.simPeak} | ${c.liveReplicaSeconds.toFixed(1)} / ${c.simReplicaSeconds.toFixed(1)} | ${pct(c.replicaSecondsError)} | ${c.decisions.map(decisionText).join('; ') || 'none / none'} | ${met ? 'met' : '**missed**'} |`,
  );
}
await writeFile(path.join(repoRoot, 'bench', 'results', `${values.name}-hindsight.md`), lines.join('\n') + '\n');
process.stdout.write(lines.join('\n') + '\n');
