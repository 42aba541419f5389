// Benchmark (issue 26, targets): the data plane outlives the control plane. Each scenario on a fresh
// `serve up --profile local --json` (the shipped profile: 2 replicas of the demo model, one ONNX
// Runtime thread each, the gateway behind its socket holder; SERVE_PORT=0, a temporary registry and
// state directory), under open-loop load from this process on the project's load client
// (survival-load.ts: per-request times, error classes, socket error codes), after 2 s of warmup:
//   a  kill -9 of the controller 5 s into 20 s at 200 req/s; `serve up` again (same profile and
//      state directory) 12 s in, under the load; then `serve down`. Targets: 0 failed requests;
//      adoption of the same holder, gateway and replica pids in under 2 s; every process of the
//      cluster gone when `serve down` returns.
//   b  10 `serve restart gateway` at 300 req/s, one every 1.5 s (or as soon as the last returned).
//      Target: 0 failed requests.
//   c  kill -9 of the serving gateway process (status's gateway.pid, not the holder) 4 s into 10 s
//      at 300 req/s. Targets: 0 connections refused; failed requests at most the generator's
//      outstanding requests at the kill instant; an answer again within 1 s.
// Results: bench/results/<out>.{json,md}, rewritten after every scenario.
// Usage: npm run build && node dist/bench/data-plane-survival.js [--runs 3] [--only a,b,c]
//   [--out data-plane-survival] [--label "what this run is"] [--restart-via cli|signal] [--connections 256]
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { ClusterStatus } from '../src/common/cluster-status.js';
import { isAlive } from '../src/common/process.js';
import type { Payload } from '../src/loadtest/payload.js';
import { writeResults } from './replica-harness.js';
import * as c from './survival-cluster.js';
import { perSecond, recovery, startLoad, summarize, type Load } from './survival-load.js';
import { render, type Results } from './survival-report.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string', default: 'a,b,c' },
    out: { type: 'string', default: 'data-plane-survival' },
    label: { type: 'string', default: '' },
    /** How (b) restarts the gateway: `serve restart gateway` (cli) or SIGUSR2 to the holder (signal). */
    'restart-via': { type: 'string', default: 'cli' },
    /** The load client's connections (`serve bench`'s default). */
    connections: { type: 'string', default: '256' },
  },
});
const runs = Number(values.runs);
const only = values.only!.split(',').filter((s) => s !== '');
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a whole number of at least 1, not ${values.runs}`);
for (const s of only) if (!['a', 'b', 'c'].includes(s)) throw new Error(`--only: a, b or c, not "${s}"`);
const restartVia = values['restart-via']!;
if (restartVia !== 'cli' && restartVia !== 'signal') throw new Error(`--restart-via: cli or signal, not ${restartVia}`);
const connections = Number(values.connections);
if (!Number.isInteger(connections) || connections < 1)
  throw new Error(`--connections: a whole number of at least 1, not ${values.connections}`);
const load = (url: string, rps: number, payloads: Payload[]) => startLoad(url, rps, payloads, { connections });

/** At most this long a scenario; past it everything is killed and removed, and the run ends. */
const SCENARIO_LIMIT_MS = 240_000;
process.once('SIGINT', () => c.abandonAll(130, 'interrupted'));

const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const round1 = (x: number) => Math.round(x * 10) / 10;
const sleepUntil = c.sleepUntil;
const upAndWarm = (w: c.World, rps: number) => c.upAndWarm(w, rps, connections);

async function controllerKill(): Promise<Record<string, unknown>> {
  const w = await c.newWorld();
  let up: c.Up | undefined;
  let up2: c.Up | undefined;
  try {
    const first = await upAndWarm(w, 200);
    up = first.up;
    const before = first.up.status;
    const journal = await c.journalReady(w, up.child.pid!, 1 + before.replicas.length);
    const traffic = load(first.url, 200, first.payloads);
    const t0 = performance.now();
    await sleepUntil(t0 + 5000);
    const inFlightAtKill = traffic.outstanding();
    const killMs = performance.now();
    process.kill(up.child.pid!, 'SIGKILL'); // its pid only, not its process group
    await up.exited;
    await sleepUntil(t0 + 12_000);
    const again = c.serveUp(w);
    again.catch(() => undefined); // awaited below
    await sleepUntil(t0 + 20_000);
    await traffic.stop();
    up2 = await again;
    const after = (await c.statusOf(w)) ?? up2.status;
    const adopted = after.gateway.adopted === true && after.replicas.every((r) => r.adopted === true);
    const all = [up.child.pid!, up2.child.pid!, ...c.clusterPids(before), ...c.clusterPids(after)];
    const down = await c.serveCli(['down', '--state-dir', w.stateDir], 90_000);
    const leftAfterDown = [...new Set(all)].filter(isAlive);
    const groupsLeft = c.groupMembersLeft([before.gateway.holderPid!, ...before.replicas.map((r) => r.pid!)]);
    return {
      ...summarize(traffic, [killMs]),
      killAtS: round1((killMs - t0) / 1000),
      perSecond: perSecond(traffic, t0),
      inFlightAtKill,
      journalReadyBeforeKill: journal,
      adoptedMs: c.adoptedMs(up2.stderr()) ?? null,
      upToStatusMs: Math.round(up2.wallMs),
      pidsBefore: c.pidLine(before),
      pidsAfter: c.pidLine(after),
      samePids: c.pidLine(before) === c.pidLine(after),
      adopted,
      downCode: down.code,
      downMs: Math.round(down.wallMs),
      downSaid: down.stdout.trim().split('\n')[0] ?? '',
      leftAfterDown,
      groupsLeft,
    };
  } finally {
    await c.tearDown(w, up2 ?? up);
  }
}

async function plannedRestarts(): Promise<Record<string, unknown>> {
  const w = await c.newWorld();
  let up: c.Up | undefined;
  try {
    const first = await upAndWarm(w, 300);
    up = first.up;
    const traffic = load(first.url, 300, first.payloads);
    const t0 = performance.now();
    await c.sleep(1000);
    const restarts: Array<{ atS: number; code: number | null; ms: number; said: string }> = [];
    const faults: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      faults.push(t);
      if (restartVia === 'signal') {
        // The holder's own restart: nothing to wait for (the next signal comes 1.5 s later).
        process.kill(up.status.gateway.holderPid!, 'SIGUSR2');
        restarts.push({ atS: round1((t - t0) / 1000), code: 0, ms: 0, said: 'SIGUSR2 to the holder' });
      } else {
        const r = await c.serveCli(['restart', 'gateway', '--state-dir', w.stateDir], 45_000);
        faults.push(performance.now());
        const said = (r.stdout || r.stderr).trim();
        restarts.push({ atS: round1((t - t0) / 1000), code: r.code, ms: Math.round(r.wallMs), said });
      }
      await sleepUntil(t + 1500);
    }
    await c.sleep(2000);
    await traffic.stop();
    const after = await c.statusOf(w);
    const handovers = c.logLines(w, 'gateway.log', 'the old gateway process hands over');
    return {
      ...summarize(traffic, faults),
      perSecond: perSecond(traffic, t0),
      restartVia,
      restarts,
      restartsOk: restartVia === 'signal' ? handovers : restarts.filter((r) => r.code === 0).length,
      handoversLogged: handovers,
      pidsBefore: c.pidLine(up.status),
      pidsAfter: after ? c.pidLine(after) : null,
      gatewayRestartsCounted: after?.gateway.restarts ?? null,
    };
  } finally {
    await c.tearDown(w, up);
  }
}

async function gatewayKill(): Promise<Record<string, unknown>> {
  const w = await c.newWorld();
  let up: c.Up | undefined;
  try {
    const first = await upAndWarm(w, 300);
    up = first.up;
    const before: ClusterStatus = (await c.statusOf(w)) ?? up.status;
    const traffic: Load = load(first.url, 300, first.payloads);
    const t0 = performance.now();
    await sleepUntil(t0 + 4000);
    const inFlightAtKill = traffic.outstanding();
    const killMs = performance.now();
    process.kill(before.gateway.pid!, 'SIGKILL');
    await sleepUntil(t0 + 10_000);
    await traffic.stop();
    const after = await c.statusOf(w);
    const failedAfter = traffic.records.filter((r) => !r.ok && r.sentMs >= killMs);
    const failedSentAfterKill = failedAfter.length;
    const lastFailedSentAfterKillMs = failedAfter.length
      ? Math.round(Math.max(...failedAfter.map((r) => r.sentMs)) - killMs)
      : null;
    const refusedAfterKill = traffic.socketErrors.filter((e) => e.code === 'ECONNREFUSED' && e.atMs >= killMs).length;
    return {
      ...summarize(traffic, [killMs]),
      killAtS: round1((killMs - t0) / 1000),
      perSecond: perSecond(traffic, t0),
      inFlightAtKill,
      failedSentAfterKill,
      lastFailedSentAfterKillMs,
      refusedAfterKill,
      ...recovery(traffic, killMs),
      killedPid: before.gateway.pid,
      pidsBefore: c.pidLine(before),
      pidsAfter: after ? c.pidLine(after) : null,
      newGatewayPid: after?.gateway.pid ?? null,
      sameHolder: after?.gateway.holderPid === before.gateway.holderPid,
      gatewayRestartsCounted: after?.gateway.restarts ?? null,
    };
  } finally {
    await c.tearDown(w, up);
  }
}

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  a: controllerKill,
  b: plannedRestarts,
  c: gatewayKill,
};

const results: Results = {
  label: values.label!,
  command:
    `node dist/bench/data-plane-survival.js --runs ${runs} --only ${only.join(',')} --out ${values.out}` +
    ` --restart-via ${restartVia} --connections ${connections}`,
  connections,
  startedAt: new Date().toISOString(),
  host: os.cpus()[0]?.model ?? 'unknown cpu',
  cpus: os.cpus().length,
  node: process.version,
  loadAverageBefore: os.loadavg(),
  loadAverageAfter: null,
  runs: { a: [], b: [], c: [] },
};
const save = async (done: boolean) => {
  results.loadAverageAfter = done ? os.loadavg() : null;
  await writeResults(values.out!, results, render(results));
};

for (let run = 1; run <= runs; run++) {
  for (const s of only) {
    log(`run ${run} of ${runs}, scenario ${s} (load average ${os.loadavg()[0]!.toFixed(1)})`);
    const t = performance.now();
    // Past its limit a scenario is given up: its row says so, and the run ends with nothing left behind.
    const limit = setTimeout(() => {
      const why = `scenario ${s} ran past ${SCENARIO_LIMIT_MS / 1000} s`;
      results.runs[s as 'a' | 'b' | 'c'].push({ run, error: why });
      void save(false).finally(() => c.abandonAll(2, why));
    }, SCENARIO_LIMIT_MS);
    let row: Record<string, unknown>;
    try {
      row = await scenarios[s]!();
    } catch (err) {
      row = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(limit);
    }
    row = { run, seconds: Math.round((performance.now() - t) / 1000), loadAverage1m: os.loadavg()[0], ...row };
    log(`  ${JSON.stringify(row)}`);
    results.runs[s as 'a' | 'b' | 'c'].push(row);
    await save(false);
  }
}
await save(true);
log(`wrote bench/results/${values.out}.{json,md}`);
