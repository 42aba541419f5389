// When a second's requests arrive (simulate, pure): `even`, evenly spaced (what a constant-rate open
// loop such as `serve bench` sends), or `random`, at independent uniform instants of the second (a
// Poisson process holding the trace's count for the second: how requests reach a replica whose
// machine also runs the gateway and the load generator). Random instants come from a seeded
// generator, so a simulation is the same every time.

export type ArrivalPattern = 'even' | 'random';

export const ARRIVAL_PATTERNS: readonly ArrivalPattern[] = ['even', 'random'];

/** Offsets within the second (ms, ascending) of its `n` arrivals. */
export class Arrivals {
  private state: number;

  constructor(
    readonly pattern: ArrivalPattern,
    seed = 29,
  ) {
    this.state = seed >>> 0;
  }

  offsetsMs(n: number): number[] {
    if (this.pattern === 'even') return Array.from({ length: n }, (_, i) => ((i + 0.5) * 1000) / n);
    return Array.from({ length: n }, () => this.next() * 1000).sort((a, b) => a - b);
  }

  /** mulberry32: a uniform number in [0, 1). */
  private next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
