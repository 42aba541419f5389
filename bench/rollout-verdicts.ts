// Benchmark (issue 25, rollout targets): are `serve rollout`'s decisions stable under the host's
// noise? A local cluster of the demo model (2 replicas, 0.5 CPU each, so both versions fit side by
// side) under open-loop load at 100 req/s; every rollout `--steps 25%,50%,100% --step-time 6s`:
//   identical  a byte-identical copy of the serving version, with both cores about 70% busy: completes N of N
//   slow       a slower variant of version 1 (LSTM hidden size picked by a calibration run, quiet, so
//              its least of p50/p95/p99 is about 1.3x), busy: rolled back N of N, each in its first step
// Version 1 is the demo model with LSTM hidden size --hidden (512: p50 in the tens of ms, so a 30%
// regression is beyond the judge's 5 ms floor; the default demo model answers in 1-3 ms).
//   int8       the INT8 version (`serve model optimize --int8`), quiet and busy alternately: no two
//              runs contradict each other with confidence (completed vs rolled back on a fail);
//              inconclusive is allowed
// Between rollouts the cluster is put back on FP32 version 1 (a one-step rollout, not counted).
// Results: bench/results/rollout-verdicts.{json,md}, rewritten after every rollout.
// Usage: npm run build && node dist/bench/rollout-verdicts.js [--runs 10] [--only identical,slow,int8]
//          [--hidden 512] [--layers 1] [--tag NAME]  (pick --hidden so version 1's p50 is over ~17 ms on the host:
//          the judge does not fail a difference under its 5 ms floor)
import { execFile } from 'node:child_process';
import { cpSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, type ClusterHandle } from '../src/cluster/controller/controller.js';
import type { RolloutStatus } from '../src/common/rollout.js';
import { DEMO_INPUT } from '../src/model/demo-graph.js';
import { loadProfile } from '../src/profile/index.js';
import { cliEntry, machine, writeResults } from './replica-harness.js';
import { loadAverages, startBusy } from './verdict-harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    only: { type: 'string', default: 'identical,slow,int8' },
    rps: { type: 'string', default: '100' },
    /** LSTM hidden size of version 1: large enough that 30% of its latency is beyond the judge's 5 ms floor. */
    hidden: { type: 'string', default: '512' },
    /** Stacked LSTM layers of version 1; above 1, the slow variant is one layer more (same hidden size). */
    layers: { type: 'string', default: '1' },
    /** Results under bench/results/rollout-verdicts-<tag>.{json,md}. */
    tag: { type: 'string' },
  },
});
const runs = Number(values.runs);
const only = new Set(values.only!.split(','));
const rps = Number(values.rps);
const STEPS = ['--steps', '25%,50%,100%', '--step-time', '6s'];

/** Open-loop load: `rps` requests a second on a keep-alive agent, counting failures. */
function openLoop(url: string, body: string): { failures: () => number; sent: () => number; stop(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let sent = 0;
  let failed = 0;
  const startMs = performance.now();
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - startMs) / 1000) * rps);
    for (; sent < due; sent++) {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          if (res.statusCode !== 200) failed++;
        },
      );
      req.on('error', () => failed++);
      req.end(body);
    }
  }, 5);
  return { failures: () => failed, sent: () => sent, stop: () => (clearInterval(tick), agent.destroy()) };
}

function cli(args: string[], limitMs = 300_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliEntry, ...args], { timeout: limitMs, maxBuffer: 64 << 20 }, (e, out, err) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out, err }),
    );
  });
}

interface Row {
  kind: string;
  run: number;
  busy: boolean;
  to: number;
  phase: string;
  /** The step it ended in, the decision kinds in order, and the deciding line. */
  endedInStep: number;
  decisions: string[];
  reason?: string;
  inconclusive: boolean;
  wallS: number;
  loadAverage1m: number;
}

const rows: Row[] = [];
const startedAt = new Date().toISOString();
let calibration: Record<string, unknown> = {};

async function rollout(stateDir: string, version: number, args = STEPS): Promise<RolloutStatus> {
  const r = await cli(['rollout', `cnn-lstm@${version}`, ...args, '--json', '--state-dir', stateDir]);
  try {
    return JSON.parse(r.out) as RolloutStatus;
  } catch {
    throw new Error(`serve rollout exited ${r.code}: ${r.err.slice(-600)}`);
  }
}

async function save(done: boolean): Promise<void> {
  const by = (kind: string) => rows.filter((r) => r.kind === kind);
  const count = (rs: Row[], f: (r: Row) => boolean) => rs.filter(f).length;
  const id = by('identical');
  const slow = by('slow');
  const int8 = by('int8');
  const decided = (r: Row) => (r.inconclusive ? 'inconclusive' : r.phase);
  const int8Outcomes = new Set(int8.filter((r) => !r.inconclusive).map((r) => r.phase));
  const lines = [
    `# rollout-verdicts (issue 25)`,
    '',
    `${done ? 'Complete' : 'In progress'}: rollouts ${STEPS.join(' ')} at ${rps} req/s open loop; local cluster, ` +
      `2 replicas of 0.5 CPU, 1 thread each. Busy: two processes each spinning 70 ms of every 100 ms. ` +
      `Started ${startedAt}. ${machine()}.`,
    '',
    `- identical copy (busy): completed ${count(id, (r) => r.phase === 'completed')} of ${id.length}` +
      ` (inconclusive along the way: ${count(id, (r) => r.decisions.includes('not-yet'))})`,
    `- slow variant (busy): rolled back ${count(slow, (r) => r.phase === 'rolled-back')} of ${slow.length}, ` +
      `in the first step ${count(slow, (r) => r.phase === 'rolled-back' && r.endedInStep === 1)}`,
    `- INT8 (quiet/busy alternately): ${JSON.stringify(int8.map((r) => `${r.busy ? 'busy' : 'quiet'}:${decided(r)}`))}; ` +
      `contradictions with confidence: ${int8Outcomes.size > 1 ? 'YES' : 'none'}`,
    `- calibration: ${JSON.stringify(calibration)}`,
    '',
    '| kind | run | host | phase | step | decisions | wall s | load 1m |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.kind} | ${r.run} | ${r.busy ? 'busy' : 'quiet'} | ${decided(r)} | ${r.endedInStep} | ${r.decisions.join(' ')} | ` +
        `${r.wallS.toFixed(1)} | ${r.loadAverage1m.toFixed(2)} |`,
    ),
    '',
    'Deciding lines:',
    '',
    ...rows.map((r) => `- ${r.kind} ${r.run}: ${r.reason ?? '(completed)'}`),
  ];
  await writeResults(
    values.tag ? `rollout-verdicts-${values.tag}` : 'rollout-verdicts',
    { startedAt, done, rps, calibration, rows },
    lines.join('\n') + '\n',
  );
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-bench-rollout-'));
  const registry = path.join(tmp, 'models');
  const baseHidden = Number(values.hidden);
  const baseLayers = Number(values.layers);
  const demo = await cli([
    'model',
    'demo',
    '--registry',
    registry,
    '--name',
    'cnn-lstm@1',
    '--hidden',
    String(baseHidden),
    '--layers',
    String(baseLayers),
  ]);
  if (demo.code !== 0) throw new Error(`model demo: ${demo.err}`);
  const versions = path.join(registry, 'cnn-lstm');
  // 2: identical copy of 1; 3: INT8; 4..: slow candidates.
  cpSync(path.join(versions, '1'), path.join(versions, '2'), { recursive: true });
  const q = await cli(['model', 'optimize', 'cnn-lstm@1', '--int8', '--registry', registry, '--json']);
  if (q.code !== 0) throw new Error(`model optimize: ${q.err}`);
  const int8Version = (JSON.parse(q.out) as { written: { version: number } }).written.version;
  // Compute grows about as the square of the hidden size, but latency is not compute alone (HTTP,
  // batching, queueing): on an AMD EPYC host 1.1-1.2x the size measured 0.92-1.02x at p50, so the
  // candidates reach further.
  // With stacked layers, one more layer is (L+1)/L the LSTM's work: 4 over 3 is about 1.33x.
  const candidates: Array<{ label: string; args: string[] }> =
    baseLayers > 1
      ? [
          {
            label: `layers ${baseLayers + 1}`,
            args: ['--hidden', String(baseHidden), '--layers', String(baseLayers + 1)],
          },
        ]
      : [1.15, 1.3, 1.45].map((f) => {
          const hs = Math.round(baseHidden * f);
          return { label: `hidden ${hs}`, args: ['--hidden', String(hs)] };
        });
  const hiddens = candidates.map((c) => c.label);
  const slowVersions: Record<string, number> = {};
  for (const [i, c] of candidates.entries()) {
    const v = int8Version + 1 + i;
    const r = await cli(['model', 'demo', '--registry', registry, '--name', `cnn-lstm@${v}`, ...c.args]);
    if (r.code !== 0) throw new Error(`model demo: ${r.err}`);
    slowVersions[c.label] = v;
  }
  const base = await loadProfile('local', { env: { ...process.env, SERVE_PORT: '0', SERVE_MODELS: registry } });
  const profile = {
    ...base,
    model: { ...base.model, version: 1 },
    replicas: { ...base.replicas, min: 2, max: 2, initial: 2 },
    resources: { ...base.resources, cpus: 0.5 },
    autoscaling: { ...base.autoscaling, enabled: false },
    // The comparison with the old version is what is measured: the shipped latency targets are for
    // the small demo model on a quiet host, and this larger one on a busy host misses them whatever
    // its version (so every rollout would go back on the targets alone).
    slo: { errorRate: 0.01 },
  };
  const stateDir = path.join(tmp, 'state');
  const h: ClusterHandle = await startCluster(profile, { stateDir, registryOverride: registry, cliEntry });
  const body = JSON.stringify({
    inputs: [{ name: DEMO_INPUT, shape: [1, 60, 16], datatype: 'FP32', data: new Array(960).fill(0.1) }],
  });
  const load = openLoop(`${h.gatewayUrl}/v2/models/cnn-lstm/infer`, body);
  let busy: { stop(): Promise<void> } | undefined;
  const setBusy = async (on: boolean) => {
    if (on && !busy) busy = startBusy();
    if (!on && busy) {
      await busy.stop();
      busy = undefined;
    }
  };
  const backToV1 = async () => {
    for (let i = 0; i < 3 && h.status().model.version !== 1; i++)
      await rollout(stateDir, 1, ['--steps', '100%', '--step-time', '1s', '--max-regression', '100%']);
    if (h.status().model.version !== 1) throw new Error('could not put the cluster back on version 1');
  };
  const record = async (kind: string, run: number, to: number) => {
    const t0 = Date.now();
    const s = await rollout(stateDir, to);
    const last = [...s.decisions].reverse().find((d) => d.kind === 'rollback' || d.kind === 'inconclusive');
    rows.push({
      kind,
      run,
      busy: busy !== undefined,
      to,
      phase: s.phase,
      endedInStep: s.step,
      decisions: s.decisions.map((d) => d.kind),
      ...(last ? { reason: last.message } : {}),
      inconclusive: s.decisions.some((d) => d.kind === 'inconclusive'),
      wallS: (Date.now() - t0) / 1000,
      loadAverage1m: os.loadavg()[0]!,
    });
    await save(false);
    process.stderr.write(`${kind} ${run}: ${s.phase} in step ${s.step} (${loadAverages()})\n`);
  };
  try {
    await new Promise((r) => setTimeout(r, 3000));
    if (only.has('slow')) {
      // Calibration, quiet (under the spinners 8 s figures scattered by more than the effect sought):
      // each candidate's p50/p95/p99 over the serving version's, from `serve bench`.
      await setBusy(false);
      const measure = async () => {
        const r = await cli([
          'bench',
          '--url',
          h.gatewayUrl,
          '--model',
          'cnn-lstm',
          '--rps',
          '50',
          '--duration',
          '12s',
          '--json',
        ]);
        const j = JSON.parse(r.out) as { latency: { p50Ms: number; p95Ms: number; p99Ms: number } };
        return j.latency;
      };
      // A rollout needs traffic to judge (a step whose new version answered too few requests is
      // "not yet", then rolled back): the load runs during each rollout and stops for each measurement.
      load.stop();
      const ref = await measure();
      const ratios: Record<string, number[]> = {};
      const reached: Record<string, string> = {};
      for (const hs of hiddens) {
        Object.assign(load, openLoop(`${h.gatewayUrl}/v2/models/cnn-lstm/infer`, body));
        const s = await rollout(stateDir, slowVersions[hs]!, [
          '--steps',
          '100%',
          '--step-time',
          '3s',
          '--max-regression',
          '100%',
        ]);
        load.stop();
        reached[hs] = `${s.phase}, serving version ${h.status().model.version}`;
        const m = await measure();
        ratios[hs] =
          h.status().model.version === slowVersions[hs]
            ? [m.p50Ms / ref.p50Ms, m.p95Ms / ref.p95Ms, m.p99Ms / ref.p99Ms].map((x) => Number(x.toFixed(2)))
            : [Number.NaN];
        Object.assign(load, openLoop(`${h.gatewayUrl}/v2/models/cnn-lstm/infer`, body));
        await backToV1();
        load.stop();
      }
      // "30% slower at every percentile": the candidate whose least ratio is closest to 1.3.
      const least = (hs: string) => Math.min(...ratios[hs]!);
      const pick = hiddens.reduce((a, b) => (Math.abs(least(a) - 1.3) <= Math.abs(least(b) - 1.3) ? a : b));
      calibration = { reference: ref, ratiosP50P95P99: ratios, rollouts: reached, picked: pick };
      Object.assign(load, openLoop(`${h.gatewayUrl}/v2/models/cnn-lstm/infer`, body));
      await setBusy(true);
      for (let i = 1; i <= runs; i++) {
        await record('slow', i, slowVersions[pick]!);
        await backToV1();
      }
    }
    if (only.has('identical')) {
      await setBusy(true);
      for (let i = 1; i <= runs; i++) {
        // 1 and 2 are the same bytes: each rollout goes to the one not serving.
        await record('identical', i, h.status().model.version === 1 ? 2 : 1);
      }
      await backToV1();
    }
    if (only.has('int8')) {
      for (let i = 1; i <= runs; i++) {
        await setBusy(i % 2 === 0);
        await record('int8', i, int8Version);
        await backToV1();
      }
    }
    await save(true);
  } finally {
    load.stop();
    await setBusy(false);
    await h.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
