// Plumbing of bench/autoscale-sim-live.ts (bench): an open-loop step load that keeps each answer's
// time and latency, a live run of a local cluster sampled every 100 ms (replicas aimed for, alive and
// ready, the policy's signal, the applied scaling decisions); sim-live-compare.ts compares it with its simulation.
import { Agent, request } from 'undici';
import type { LocalCluster } from './cluster-harness.js';
import { StayRecorder, type StaySample } from './replica-stay.js';

/** One phase of the step: a rate held for some seconds. */
export interface Phase {
  seconds: number;
  ratePerSec: number;
}

/** One request of the demo model (x [1, 60, 16]) as JSON, as a client sends it. */
const BODY = JSON.stringify({
  inputs: [
    { name: 'x', shape: [1, 60, 16], datatype: 'FP32', data: Array.from({ length: 960 }, (_, i) => Math.sin(i) * 0.5) },
  ],
});

export interface StepLoadResult {
  /** Wall clock (Date.now()) at the load's start: second 0 of the trace. */
  startedAtWallMs: number;
  /** performance.now() at the same instant. */
  startedAtPerfMs: number;
  sentPerSecond: number[];
  /** Each answer: seconds since the start when it came, its latency, whether it was a 200. */
  answers: Array<{ atS: number; ms: number; ok: boolean }>;
}

/** Sends the plan's rates on schedule (evenly spaced, whatever the answers do); resolves when all answered. */
export async function stepLoad(url: string, plan: readonly Phase[]): Promise<StepLoadResult> {
  const agent = new Agent({ connections: 256, keepAliveTimeout: 5000 });
  const totalS = plan.reduce((a, p) => a + p.seconds, 0);
  const dueBy = (t: number) => {
    let due = 0;
    let at = 0;
    for (const p of plan) {
      due += Math.min(p.seconds, Math.max(0, t - at)) * p.ratePerSec;
      at += p.seconds;
    }
    return Math.floor(due);
  };
  const start = performance.now();
  const out: StepLoadResult = { startedAtWallMs: Date.now(), startedAtPerfMs: start, sentPerSecond: [], answers: [] };
  const pending: Array<Promise<void>> = [];
  const send = async (t0: number) => {
    let ok = false;
    try {
      const res = await request(url, {
        method: 'POST',
        body: BODY,
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
      });
      await res.body.arrayBuffer();
      ok = res.statusCode === 200;
    } catch {
      ok = false;
    }
    const t1 = performance.now();
    out.answers.push({ atS: (t1 - start) / 1000, ms: t1 - t0, ok });
  };
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const t = (performance.now() - start) / 1000;
      for (const due = dueBy(Math.min(t, totalS)); sent < due; sent++) {
        const s = Math.floor(t);
        out.sentPerSecond[s] = (out.sentPerSecond[s] ?? 0) + 1;
        pending.push(send(performance.now()));
      }
      if (t >= totalS) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  await Promise.all(pending);
  await agent.close();
  out.sentPerSecond = Array.from({ length: Math.ceil(totalS) }, (_, i) => out.sentPerSecond[i] ?? 0);
  return out;
}

/** What a live run gave, second by second from the load's start. */
export interface LiveRun {
  load: StepLoadResult;
  /** Replicas the controller aimed for at the end of each second. */
  replicas: number[];
  /** Replica processes alive (starting, ready, draining, unhealthy), averaged over each second. */
  replicaSeconds: number[];
  /** Applied policy decisions, seconds since the load's start. */
  decisions: Array<{ second: number; from: number; to: number; reason: string }>;
  /** The policy's signal (in flight + queued over the look-back window) at the end of each second. */
  signal: number[];
  /** From each scale-up's decision until that many replicas were ready, s. */
  startTimesS: number[];
  /** Each ready replica's stay counters (replica-stay.ts), scraped every second, seconds since the load's start. */
  stay: StaySample[];
}

const ALIVE = new Set(['starting', 'ready', 'draining', 'unhealthy']);

/** Runs the step against `cluster`, sampling its status every 100 ms. */
export async function liveRun(cluster: LocalCluster, plan: readonly Phase[]): Promise<LiveRun> {
  const samples: Array<{ atS: number; desired: number; alive: number; ready: number; signal: number }> = [];
  const seen = new Map<string, { at: string; from: number; to: number; reason: string }>();
  const sample = () => {
    const st = cluster.status();
    samples.push({
      atS: performance.now() / 1000,
      desired: st.desiredReplicas,
      alive: st.replicas.filter((r) => ALIVE.has(r.state)).length,
      ready: st.replicas.filter((r) => r.state === 'ready').length,
      signal: st.autoscaling.signal ?? 0,
    });
    for (const d of st.autoscaling.decisions)
      if (d.by === 'policy' && d.action === 'apply') seen.set(`${d.at} ${d.from} ${d.to}`, d);
  };
  sample();
  const sampler = setInterval(sample, 100);
  const stayRecorder = new StayRecorder();
  stayRecorder.start(() => cluster.status().replicas);
  const load = await stepLoad(`${cluster.url}/v2/models/cnn-lstm/infer`, plan);
  sample();
  clearInterval(sampler);
  stayRecorder.stop();
  const stay = stayRecorder.samples.map((x) => ({ ...x, atS: x.atS - load.startedAtPerfMs / 1000 }));
  const at = samples.map((s) => ({ ...s, atS: s.atS - load.startedAtPerfMs / 1000 }));
  const n = load.sentPerSecond.length;
  const last = (t: number) => [...at].reverse().find((s) => s.atS <= t) ?? at[0]!;
  const replicas = Array.from({ length: n }, (_, s) => last(s + 1).desired);
  const signal = Array.from({ length: n }, (_, s) => last(s + 1).signal);
  const replicaSeconds = Array.from({ length: n }, (_, s) => {
    const inSecond = at.filter((x) => x.atS >= s && x.atS < s + 1);
    return inSecond.length === 0 ? last(s).alive : inSecond.reduce((a, x) => a + x.alive, 0) / inSecond.length;
  });
  const decisions = [...seen.values()]
    .map((d) => ({
      second: (Date.parse(d.at) - load.startedAtWallMs) / 1000,
      from: d.from,
      to: d.to,
      reason: d.reason,
    }))
    .filter((d) => d.second >= 0 && d.second < n)
    .sort((a, b) => a.second - b.second);
  const startTimesS = decisions
    .filter((d) => d.to > d.from)
    .flatMap((d) => {
      const ready = at.find((x) => x.atS >= d.second && x.ready >= d.to);
      return ready ? [ready.atS - d.second] : [];
    });
  return { load, replicas, replicaSeconds, decisions, signal, startTimesS, stay };
}
