// The comparison of a live run (sim-live-harness.ts) with the simulation of the trace it sent (bench):
// per-second replica counts, decisions paired in order, replica-seconds, and per phase the p99, mean
// latency, failures and the policy's settled signal; the three targets.
import type { SimulationResult } from '../src/simulate/simulation.js';
import { percentile } from '../src/simulate/stats.js';
import type { LiveRun, Phase } from './sim-live-harness.js';

/** One phase's figures, live and simulated. */
export interface PhaseFigures {
  fromS: number;
  toS: number;
  ratePerSec: number;
  liveReplicaSeconds: number;
  simReplicaSeconds: number;
  liveP99Ms: number;
  simP99Ms: number;
  /** Mean latency of the answers, ms: by Little's law, rate × mean is the requests in flight at the gateway. */
  liveMeanMs: number;
  simMeanMs: number;
  liveFailed: number;
  simFailed: number;
  /** The policy's signal averaged over the phase's second half (settled). */
  liveSignal: number;
  simSignal: number;
}

/** The live run against its simulation. */
export interface Comparison {
  livePeak: number;
  simPeak: number;
  liveReplicaSeconds: number;
  simReplicaSeconds: number;
  /** (sim - live) / live. */
  replicaSecondsError: number;
  /** |sim - live| replicas, each second. */
  diffs: number[];
  /** Decisions paired in order; a decision with no partner has the other side undefined. */
  decisions: Array<{ from: number; to: number; liveS?: number; simS?: number }>;
  phases: PhaseFigures[];
  /** The targets: same peak, replica-seconds within 10%, the same decisions each within 10 s. */
  samePeak: boolean;
  replicaSecondsWithin10: boolean;
  decisionsWithin10s: boolean;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : sum(xs) / xs.length);

export function compare(
  live: LiveRun,
  sim: SimulationResult,
  simLatencies: ReadonlyArray<readonly number[] | undefined>,
  plan: readonly Phase[],
): Comparison {
  const simReplicas = sim.seconds.map((s) => s.replicas);
  const diffs = simReplicas.map((r, i) => Math.abs(r - (live.replicas[i] ?? 0)));
  const liveRs = sum(live.replicaSeconds);
  const simRs = sum(sim.seconds.map((s) => s.replicaSeconds));
  const decisions: Comparison['decisions'] = [];
  const simD = [...sim.decisions];
  for (const d of live.decisions) {
    const i = simD.findIndex((x) => x.from === d.from && x.to === d.to);
    // In order: a simulated decision passed over has no live partner.
    for (const skipped of simD.splice(0, Math.max(0, i))) decisions.push({ ...skipped, simS: skipped.second });
    const partner = i >= 0 ? simD.shift() : undefined;
    decisions.push({ from: d.from, to: d.to, liveS: d.second, ...(partner ? { simS: partner.second } : {}) });
  }
  for (const rest of simD) decisions.push({ from: rest.from, to: rest.to, simS: rest.second });
  const phases: PhaseFigures[] = [];
  let fromS = 0;
  for (const p of plan) {
    const toS = fromS + p.seconds;
    const inPhase = (s: number) => s >= fromS && s < toS;
    const liveAnswers = live.load.answers.filter((a) => inPhase(a.atS));
    const liveOk = liveAnswers
      .filter((a) => a.ok)
      .map((a) => a.ms)
      .sort((a, b) => a - b);
    const simLat = simLatencies
      .slice(fromS, toS)
      .flatMap((l) => l ?? [])
      .sort((a, b) => a - b);
    const simSec = sim.seconds.filter((s) => inPhase(s.second));
    const settled = (s: number) => s >= (fromS + toS) / 2 && s < toS;
    const simTicks = sim.ticks.filter((t) => settled(t.second));
    phases.push({
      fromS,
      toS,
      ratePerSec: p.ratePerSec,
      liveReplicaSeconds: sum(live.replicaSeconds.slice(fromS, toS)),
      simReplicaSeconds: sum(simSec.map((s) => s.replicaSeconds)),
      liveP99Ms: percentile(liveOk, 99),
      simP99Ms: percentile(simLat, 99),
      liveMeanMs: mean(liveOk),
      simMeanMs: mean(simLat),
      liveFailed: liveAnswers.length - liveOk.length,
      simFailed: sum(simSec.map((s) => s.failed)),
      liveSignal: mean(live.signal.filter((_, s) => settled(s + 1))),
      simSignal: mean(simTicks.map((t) => t.signal)),
    });
    fromS = toS;
  }
  const livePeak = Math.max(...live.replicas);
  const simPeak = Math.max(...simReplicas);
  return {
    livePeak,
    simPeak,
    liveReplicaSeconds: liveRs,
    simReplicaSeconds: simRs,
    replicaSecondsError: (simRs - liveRs) / liveRs,
    diffs,
    decisions,
    phases,
    samePeak: livePeak === simPeak,
    replicaSecondsWithin10: Math.abs(simRs - liveRs) <= 0.1 * liveRs,
    decisionsWithin10s: decisions.every(
      (d) => d.liveS !== undefined && d.simS !== undefined && Math.abs(d.liveS - d.simS) <= 10,
    ),
  };
}
