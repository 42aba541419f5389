// How long a replica needs at least to answer an infer request (gateway, data plane, pure): the floor
// under which a request's deadline cannot be met however idle the cluster is. Such a request is
// answered 504 before it is sent; a deadline missed because of load is a 503 (admission.ts,
// deadline-watch.ts). The floor is the model's own run time as replicas report it (Server-Timing
// `infer;dur=`), which waits in queues and a busy gateway do not inflate.

const SAMPLES = 32;

/**
 * The smallest of the last SAMPLES model run times replicas reported with successful answers (ms);
 * unknown (0) until the first one. Load makes batches bigger, never runs shorter, so this stays a
 * floor under load; an upstream that reports no run time never gives one.
 */
export class ServiceTime {
  private readonly ms = new Float64Array(SAMPLES).fill(Infinity);
  private next = 0;
  private seen = 0;

  /** Records one successful answer that took `ms` at its replica. */
  record(ms: number): void {
    if (!(ms >= 0)) return;
    this.ms[this.next] = ms;
    this.next = (this.next + 1) % SAMPLES;
    this.seen++;
  }

  /** The no-wait service time estimate in ms; 0 when nothing was measured yet. */
  floorMs(): number {
    if (this.seen === 0) return 0;
    let min = Infinity;
    for (let i = 0; i < SAMPLES; i++) if (this.ms[i]! < min) min = this.ms[i]!;
    return min;
  }
}

/** The `infer;dur=` entry of a Server-Timing value, in ms, or NaN. */
export function inferDurMs(serverTiming: string): number {
  const i = serverTiming.indexOf('infer;dur=');
  if (i < 0) return NaN;
  return parseFloat(serverTiming.slice(i + 10));
}

/**
 * True when a request whose whole budget is `budgetMs` cannot be answered in time even by an idle
 * replica: its budget is shorter than the measured no-wait service time. Load plays no part here.
 */
export function cannotMeet(budgetMs: number, floorMs: number): boolean {
  return floorMs > 0 && budgetMs < floorMs;
}
