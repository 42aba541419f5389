// What the simulator measures (simulate, pure): per second the load, answers, failures, replicas and
// p99; per minute the latency percentiles, errors, replica-minutes and which targets were missed.
import type { SloTargets } from '../common/wire.js';

/** One simulated second. */
export interface SimSecond {
  second: number;
  /** Requests per second the trace asks for. */
  ratePerSec: number;
  arrived: number;
  answered: number;
  failed: number;
  /** Replicas the controller aims for at the end of the second (starting ones included, draining ones not). */
  replicas: number;
  ready: number;
  /** Replica-seconds spent in the second (starting and draining replicas included). */
  replicaSeconds: number;
  /** p99 of the latencies answered in the second (ms); undefined when none. */
  p99Ms?: number;
}

/** Collects the simulation's measurements by second. */
export class Stats {
  readonly seconds: SimSecond[] = [];
  private arrivedN = 0;
  private failedBy = new Map<number, number>();
  /** Every answered latency by second (for the minutes' exact percentiles). */
  readonly latencies: number[][] = [];

  constructor(private readonly length: number) {}

  arrived(_atMs: number): void {
    this.arrivedN++;
  }

  answered(atMs: number, latencyMs: number): void {
    // Answers after the trace's end belong to its last second.
    const s = Math.min(this.length - 1, Math.floor(atMs / 1000));
    (this.latencies[s] ??= []).push(latencyMs);
  }

  failed(atMs: number): void {
    const s = Math.min(this.length - 1, Math.floor(atMs / 1000));
    this.failedBy.set(s, (this.failedBy.get(s) ?? 0) + 1);
  }

  closeSecond(s: number, o: { replicas: number; ready: number; replicaSeconds: number; ratePerSec: number }): void {
    const lat = this.latencies[s] ?? [];
    this.seconds.push({
      second: s,
      ratePerSec: o.ratePerSec,
      arrived: this.arrivedN,
      answered: lat.length,
      failed: 0,
      replicas: o.replicas,
      ready: o.ready,
      replicaSeconds: o.replicaSeconds,
      ...(lat.length > 0
        ? {
            p99Ms: percentile(
              [...lat].sort((a, b) => a - b),
              99,
            ),
          }
        : {}),
    });
    this.arrivedN = 0;
  }

  /**
   * Fills in failures, which may be counted after their second closed (a timeout found later), and
   * the answers after the trace's end, which belong to its last second.
   */
  finish(): void {
    for (const row of this.seconds) row.failed = this.failedBy.get(row.second) ?? 0;
    const last = this.seconds.at(-1);
    const lat = last && this.latencies[last.second];
    if (!last || !lat || lat.length === last.answered) return;
    last.answered = lat.length;
    last.p99Ms = percentile(
      [...lat].sort((a, b) => a - b),
      99,
    );
  }
}

/** The p-th percentile (0-100) of sorted values (nearest rank); 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One simulated minute against the profile's targets. */
export interface SimMinute {
  minute: number;
  requests: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Average replicas the controller aimed for. */
  replicas: number;
  replicaMinutes: number;
  /** Each target missed, e.g. "p99 142.0ms > 100ms"; empty when every one was met. */
  missed: string[];
}

/** The whole run in figures. */
export interface SimSummary {
  minutes: SimMinute[];
  replicaMinutes: number;
  requests: number;
  failed: number;
  /** Minutes with at least one target missed. */
  missedMinutes: number;
  p99Ms: number;
  maxReplicas: number;
}

/** Folds seconds (and their latencies) into minutes judged against `slo`. */
export function summarize(
  seconds: readonly SimSecond[],
  latencies: ReadonlyArray<readonly number[] | undefined>,
  slo: SloTargets,
): SimSummary {
  const minutes: SimMinute[] = [];
  for (let m = 0; m * 60 < seconds.length; m++) {
    const secs = seconds.slice(m * 60, m * 60 + 60);
    const lat = secs.flatMap((s) => latencies[s.second] ?? []).sort((a, b) => a - b);
    const failed = secs.reduce((a, s) => a + s.failed, 0);
    const row = {
      minute: m,
      requests: lat.length + failed,
      failed,
      p50Ms: percentile(lat, 50),
      p95Ms: percentile(lat, 95),
      p99Ms: percentile(lat, 99),
      maxMs: lat.at(-1) ?? 0,
      replicas: secs.reduce((a, s) => a + s.replicas, 0) / secs.length,
      replicaMinutes: secs.reduce((a, s) => a + s.replicaSeconds, 0) / 60,
    };
    minutes.push({ ...row, missed: missedTargets(row, lat, slo) });
  }
  const all = seconds.flatMap((s) => latencies[s.second] ?? []).sort((a, b) => a - b);
  return {
    minutes,
    replicaMinutes: minutes.reduce((a, m) => a + m.replicaMinutes, 0),
    requests: minutes.reduce((a, m) => a + m.requests, 0),
    failed: minutes.reduce((a, m) => a + m.failed, 0),
    missedMinutes: minutes.filter((m) => m.missed.length > 0).length,
    p99Ms: percentile(all, 99),
    maxReplicas: Math.max(0, ...seconds.map((s) => s.replicas)),
  };
}

function missedTargets(
  m: { requests: number; failed: number; maxMs: number },
  sorted: readonly number[],
  slo: SloTargets,
): string[] {
  const out: string[] = [];
  if (m.requests === 0) return out;
  const check = (name: string, actual: number, limit: number | undefined) => {
    if (limit !== undefined && actual > limit) out.push(`${name} ${actual.toFixed(1)}ms > ${limit}ms`);
  };
  if (sorted.length > 0) {
    check('p50', percentile(sorted, 50), slo.p50Ms);
    check('p90', percentile(sorted, 90), slo.p90Ms);
    check('p95', percentile(sorted, 95), slo.p95Ms);
    check('p99', percentile(sorted, 99), slo.p99Ms);
    check('p99.9', percentile(sorted, 99.9), slo.p999Ms);
    check('max', m.maxMs, slo.maxMs);
  }
  const rate = m.failed / m.requests;
  if (slo.errorRate !== undefined && rate > slo.errorRate)
    out.push(`errors ${(rate * 100).toFixed(2)}% > ${(slo.errorRate * 100).toFixed(2)}%`);
  return out;
}
