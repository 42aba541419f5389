// What the search has learned so far (tune): one Candidate per point of the space, its measurements
// and status, kept as the search goes, so a run stopped by the budget or Ctrl-C still reports (and
// writes) the best found.
import { configKey } from './space.js';
import type { Candidate, CandidateStatus, CostSummary, Objective, Probe, TuneConfig } from './types.js';

/** The note of a point the search never needed. */
export const NOT_TRIED = 'not tried: the search did not need it';

export class Ledger {
  private readonly byKey = new Map<string, Candidate>();
  /** Points measured, pruned, excluded or skipped by the search (not visited again). */
  private readonly visited = new Set<string>();

  /** `costOf` prices a configuration (at a rate, for the price per million). */
  constructor(
    configs: readonly TuneConfig[],
    private readonly costOf: (c: TuneConfig, ratePerSec?: number) => CostSummary,
  ) {
    for (const config of configs)
      this.byKey.set(configKey(config), {
        config,
        status: 'skipped',
        note: NOT_TRIED,
        probes: [],
        passed: false,
        cost: costOf(config),
      });
  }

  get(c: TuneConfig): Candidate {
    const found = this.byKey.get(configKey(c));
    if (!found) throw new Error(`internal error: ${configKey(c)} is not in the space`);
    return found;
  }

  has(c: TuneConfig): boolean {
    return this.byKey.has(configKey(c));
  }

  all(): Candidate[] {
    return [...this.byKey.values()];
  }

  /** True once the point was measured, pruned or excluded (a search does not visit it again). */
  settled(c: TuneConfig): boolean {
    return this.visited.has(configKey(c));
  }

  mark(c: TuneConfig, status: Exclude<CandidateStatus, 'measured'>, note: string): void {
    const x = this.get(c);
    this.visited.add(configKey(c));
    if (x.status === 'measured') return;
    x.status = status;
    x.note = note;
  }

  /** Adds a measurement; `asResult` makes it the one that stands for the candidate. */
  addProbe(c: TuneConfig, probe: Probe, asResult: boolean): void {
    const x = this.get(c);
    this.visited.add(configKey(c));
    x.status = 'measured';
    x.note = undefined;
    x.probes.push(probe);
    if (asResult) {
      x.result = probe;
      x.passed = probe.passed;
      x.cost = this.costOf(c, probe.achievedPerSec);
    }
  }

  /**
   * Makes `probe`, a re-measurement at the rate of `c`'s standing measurement (remeasure.ts), the
   * one that stands for it. Throughput: a knee that misses on the second look falls back to the
   * highest rate below it that passed (none: no knee).
   */
  remeasured(c: TuneConfig, probe: Probe, objective: Objective): void {
    const x = this.get(c);
    x.probes.push(probe);
    if (objective === 'cost' || probe.passed) {
      x.result = probe;
      if (objective === 'cost') x.passed = probe.passed;
      x.cost = this.costOf(c, probe.achievedPerSec);
      return;
    }
    const below = x.probes
      .filter((p) => p.passed && p.ratePerSec < probe.ratePerSec)
      .sort((a, b) => b.ratePerSec - a.ratePerSec)[0];
    this.setKnee(c, below ? below.ratePerSec : null);
  }

  /**
   * Throughput: the knee found (null: not even the lowest rate tried met the targets), or, with
   * `belowPerSec`, only that it missed the targets at that rate (compared with the best so far).
   */
  setKnee(c: TuneConfig, kneePerSec: number | null | undefined, belowPerSec?: number): void {
    const x = this.get(c);
    if (kneePerSec !== undefined) x.kneePerSec = kneePerSec;
    if (belowPerSec !== undefined) x.belowPerSec = belowPerSec;
    const kneeProbe =
      typeof kneePerSec === 'number'
        ? [...x.probes].reverse().find((p) => p.passed && p.ratePerSec === kneePerSec)
        : undefined;
    const stand = kneeProbe ?? lowestFailing(x.probes);
    if (stand) {
      x.result = stand;
      x.cost = this.costOf(c, stand.achievedPerSec);
    }
    x.passed = typeof kneePerSec === 'number';
  }

  /** Measurements taken so far. */
  probes(): number {
    return this.all().reduce((a, x) => a + x.probes.length, 0);
  }
}

function lowestFailing(probes: readonly Probe[]): Probe | undefined {
  let best: Probe | undefined;
  for (const p of probes) if (!best || p.ratePerSec < best.ratePerSec) best = p;
  return best;
}
