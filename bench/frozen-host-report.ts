// What bench/frozen-host.ts measured, summed up (bench): requests by phase (before, during and
// after the host was stopped, by send time), the controller's and the gateway's view over time as
// events relative to the freeze, and the markdown of bench/results/frozen-host.md.
import type { Load } from './survival-load.js';

/** One reading every 100 ms: the controller's status (h1, replicas) and the gateway's /metrics. */
export interface Sample {
  atMs: number;
  cluster: { h1: string; replicas: string };
  gateway?: {
    ready: number;
    notReady: number;
    ejected: number;
    ejections: number;
    tryTimeouts: number;
    connectRetries: number;
  };
}

export interface Phase {
  sent: number;
  ok: number;
  failed: number;
  byClass: Record<string, number>;
  /** Latency of the answered requests (ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface HostRun {
  run: number;
  /** startCluster to both replicas ready (s). */
  startedS: number;
  placed: string;
  sent: number;
  ok: number;
  failed: number;
  failedByClass: Record<string, number>;
  before: Phase;
  during: Phase;
  after: Phase;
  /** From the freeze (s): the gateway's set had fewer than 2 ready replicas (ejected, not ready or removed). */
  gatewayStoppedS?: number;
  firstEjectionS?: number;
  /** Tries given up after their try timeout and resent, from the freeze to the end of the load. */
  tryTimeouts: number;
  ejections: number;
  /** From the freeze (s): the controller showed no ready replica on h1 (its probes failed, or the host was lost). */
  replicaNotReadyS?: number;
  /** From the freeze (s): the controller showed h1 other than up. */
  hostLostS?: number;
  /** Replica states the controller showed while h1 was stopped (id:state@host). */
  replicasDuringFreeze: string[];
  h1AtThawPlus1s: string;
  h1AtLoadEnd: string;
  /** From the thaw (s): the first reading with h1 up and a ready replica on it; undefined: not within 60 s after the load. */
  backAfterThawS?: number;
  finalStatus: { h1: string; replicas: string };
  /** Processes in h1's namespace other than sshd's own after the load (pid and command line). */
  h1Processes: string[];
  /** The replica process that was stopped with h1 still ran after the load (10 s after the thaw or later). */
  frozenReplicaLeft: boolean;
  /** Changes seen from 1 s before the freeze on (s relative to it). */
  events: Array<{ tS: number; what: string }>;
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  controllerLog: string[];
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

function phase(load: Load, fromMs: number, toMs: number): Phase {
  const lat: number[] = [];
  const byClass: Record<string, number> = {};
  let sent = 0;
  for (const r of load.records) {
    if (r.sentMs < fromMs || r.sentMs >= toMs) continue;
    sent++;
    if (r.ok) lat.push(r.endMs - r.sentMs);
    else byClass[r.errorClass ?? 'unfinished'] = (byClass[r.errorClass ?? 'unfinished'] ?? 0) + 1;
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? r1(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!) : NaN);
  return { sent, ok: lat.length, failed: sent - lat.length, byClass, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) };
}

export function hostRun(x: {
  run: number;
  startedS: number;
  placed: string;
  load: Load;
  marks: { loadStartMs: number; freezeMs: number; thawMs: number; loadEndMs: number; backMs?: number };
  samples: Sample[];
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  finalStatus: { h1: string; replicas: string };
  h1Processes: string[];
  frozenReplicaLeft: boolean;
  controllerLog: string[];
}): HostRun {
  const { freezeMs, thawMs } = x.marks;
  const rel = (ms: number) => r2((ms - freezeMs) / 1000);
  const all = phase(x.load, -Infinity, Infinity);
  const atFreeze = [...x.samples].reverse().find((s) => s.atMs <= freezeMs && s.gateway)?.gateway;
  const last = [...x.samples].reverse().find((s) => s.gateway)?.gateway;
  const after = x.samples.filter((s) => s.atMs >= freezeMs);
  const first = (f: (s: Sample) => boolean) => {
    const s = after.find(f);
    return s && rel(s.atMs);
  };
  const events: HostRun['events'] = [];
  let prev: Sample | undefined;
  for (const s of x.samples.filter((v) => v.atMs >= freezeMs - 1000)) {
    const what: string[] = [];
    if (!prev || s.cluster.h1 !== prev.cluster.h1) what.push(`h1 ${s.cluster.h1}`);
    if (!prev || s.cluster.replicas !== prev.cluster.replicas) what.push(`replicas ${s.cluster.replicas}`);
    const g = s.gateway;
    const pg = prev?.gateway;
    if (g && (!pg || g.ready !== pg.ready || g.notReady !== pg.notReady || g.ejected !== pg.ejected))
      what.push(`gateway set: ${g.ready} ready, ${g.notReady} not ready, ${g.ejected} ejected`);
    if (g && pg && g.ejections > pg.ejections) what.push(`gateway ejections ${g.ejections}`);
    if (g && pg && g.tryTimeouts > pg.tryTimeouts) what.push(`tries timed out ${g.tryTimeouts}`);
    if (!g && pg) what.push('gateway /metrics did not answer');
    if (what.length) events.push({ tS: rel(s.atMs), what: what.join('; ') });
    prev = s;
  }
  // The last reading at or before `ms`.
  const h1At = (ms: number) => [...x.samples].reverse().find((s) => s.atMs <= ms)?.cluster.h1 ?? 'not sampled';
  const back = x.samples.find(
    (s) => s.atMs >= thawMs && s.cluster.h1.startsWith('up') && /:ready@h1\b/.test(s.cluster.replicas),
  );
  const backMs = back?.atMs ?? x.marks.backMs;
  const duringFreeze = new Set<string>();
  for (const s of after.filter((v) => v.atMs < thawMs))
    for (const r of s.cluster.replicas.split(' ')) duringFreeze.add(r.replace(/#\d+$/, ''));
  return {
    run: x.run,
    startedS: r1(x.startedS),
    placed: x.placed,
    sent: all.sent,
    ok: all.ok,
    failed: all.failed,
    failedByClass: all.byClass,
    before: phase(x.load, -Infinity, freezeMs),
    during: phase(x.load, freezeMs, thawMs),
    after: phase(x.load, thawMs, Infinity),
    gatewayStoppedS: first((s) => s.gateway !== undefined && s.gateway.ready < 2),
    firstEjectionS: first((s) => s.gateway !== undefined && s.gateway.ejections > (atFreeze?.ejections ?? 0)),
    tryTimeouts: (last?.tryTimeouts ?? 0) - (atFreeze?.tryTimeouts ?? 0),
    ejections: (last?.ejections ?? 0) - (atFreeze?.ejections ?? 0),
    replicaNotReadyS: first((s) => !/:ready@h1\b/.test(s.cluster.replicas)),
    hostLostS: first((s) => !s.cluster.h1.startsWith('up')),
    replicasDuringFreeze: [...duringFreeze],
    h1AtThawPlus1s: h1At(thawMs + 1000),
    h1AtLoadEnd: h1At(x.marks.loadEndMs),
    backAfterThawS: backMs === undefined ? undefined : r2((backMs - thawMs) / 1000),
    finalStatus: x.finalStatus,
    h1Processes: x.h1Processes,
    frozenReplicaLeft: x.frozenReplicaLeft,
    events,
    loadAvgBefore: x.loadAvgBefore.map(r2),
    loadAvgAfter: x.loadAvgAfter.map(r2),
    controllerLog: x.controllerLog.slice(0, 40),
  };
}

const lat = (p: Phase) => `${p.p50Ms} / ${p.p99Ms} / ${p.maxMs} ms`;
const classes = (c: Record<string, number>) =>
  Object.keys(c).length
    ? Object.entries(c)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : 'none';
const s = (x: number | undefined) => (x === undefined ? 'never' : `${x} s`);
const avg = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

export function markdown(sum: {
  at: string;
  command: string;
  cpus: number;
  cpuModel: string;
  node: string;
  freezeS: number;
  rps: number;
  beforeS: number;
  afterS: number;
  loadAvgStart: number[];
  loadAvgEnd: number[];
  runs: HostRun[];
}): string {
  const met = sum.runs.filter((r) => r.failed === 0).length;
  const shape =
    sum.freezeS === 30 && sum.rps === 100
      ? ''
      : ` (this run: ${sum.freezeS} s at ${sum.rps} req/s, not the target's 30 s at 100)`;
  return [
    '# A whole SSH host stopped (SIGSTOP) under load, through the whole cluster (issue 29)',
    '',
    `Command: \`npm run build && ${sum.command}\`. Started ${sum.at}.`,
    '',
    `Host: ${sum.cpuModel} (${sum.cpus} CPUs, node ${sum.node}). Load average (1 / 5 / 15 min) before: ${avg(sum.loadAvgStart)}; after: ${avg(sum.loadAvgEnd)}.`,
    '',
    'The controller in the benchmark process (`startCluster`, as `serve up` runs it), the real CLI entry for the gateway and both replicas. ' +
      'The shipped `local` profile (2 replicas of the demo model, 1 CPU and one ONNX Runtime thread each, `gateway.request_timeout: 1s`, ' +
      'per-try timeouts, ejection, health probes, `ssh.keepalive` 5 s x 3 at their defaults) with `hosts: [local (cpus 1), h1]`: one replica here, one on h1, ' +
      "a real sshd in a network namespace (test/helpers/ssh-lab.ts) reached over OpenSSH. Load: open loop from the benchmark process on the project's load client " +
      `(\`InferClient\`, up to 64 keep-alive connections, 5 s client timeout, JSON bodies as \`serve bench\` makes them) at ${sum.rps} req/s: ` +
      `${sum.beforeS} s, then every process of h1's namespace (sshd, the ssh sessions, the replica) stopped with SIGSTOP for ${sum.freezeS} s ` +
      `(no connection closed; the kernel still answers TCP), then SIGCONT and ${sum.afterS} s more. Requests are put in a phase by send time. ` +
      "The controller's status and the gateway's `/metrics` are read every 100 ms; times are from the freeze.",
    '',
    '## Targets',
    '',
    `- Every process of a host stopped (SIGSTOP: no RST) under 100 req/s for 30 s, \`request_timeout: 1s\`: 0 failed requests: **${met === sum.runs.length ? 'MET' : 'NOT MET'}** in ${met} of ${sum.runs.length} runs${shape}`,
    '',
    '## Requests',
    '',
    '| run | sent | ok | failed (by class) | failed, sent while stopped | before: p50 / p99 / max | while stopped | after | load 1m before / after |',
    '|---|---:|---:|---|---:|---:|---:|---:|---|',
    ...sum.runs.map(
      (r) =>
        `| ${r.run} | ${r.sent} | ${r.ok} | ${r.failed} (${classes(r.failedByClass)}) | ${r.during.failed} | ${lat(r.before)} | ${lat(r.during)} | ${lat(r.after)} | ${r.loadAvgBefore[0]} / ${r.loadAvgAfter[0]} |`,
    ),
    '',
    '## What the gateway and the controller did',
    '',
    '| run | gateway set below 2 ready | first ejection | tries timed out | ejections | no ready replica on h1 (controller) | h1 not up (controller) | h1 1 s after the thaw | h1 at the end of the load | h1 up with a ready replica again |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|---:|',
    ...sum.runs.map(
      (r) =>
        `| ${r.run} | ${s(r.gatewayStoppedS)} | ${s(r.firstEjectionS)} | ${r.tryTimeouts} | ${r.ejections} | ${s(r.replicaNotReadyS)} | ${s(r.hostLostS)} | ${r.h1AtThawPlus1s} | ${r.h1AtLoadEnd} | ${r.backAfterThawS === undefined ? 'not within 60 s after the load' : `${r.backAfterThawS} s after the thaw`} |`,
    ),
    '',
    ...sum.runs.flatMap((r) => [
      `### Run ${r.run}: events (s from the freeze; the thaw at ${sum.freezeS} s)`,
      '',
      `Cluster ready in ${r.startedS} s: ${r.placed}. Replica states shown while h1 was stopped: ${r.replicasDuringFreeze.join(', ')}. ` +
        `After the load: ${r.finalStatus.replicas}; the replica stopped with h1 ${r.frozenReplicaLeft ? '**still ran**' : 'had exited'} ` +
        `(${r.h1Processes.length} other processes left on h1 besides sshd's own).`,
      '',
      ...r.events.map((e) => `- ${e.tS.toFixed(2)}: ${e.what}`),
      '',
    ]),
  ].join('\n');
}
