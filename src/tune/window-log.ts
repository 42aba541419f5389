// The windows of one measurement as they come (tune, pure): a window in which the load generator
// fell behind (its self-audit, loadtest/audit.ts) is not a sample: it is dropped and counted, and
// the stability rule judges the kept ones. Dropped windows still count towards --max-windows, so a
// generator that keeps falling behind ends the measurement as unstable rather than never.
import { judgeWindows, type WindowSample, type WindowVerdict } from './stability.js';

/** At least this share of a measurement's windows dropped: it says little of the server, and is unsure. */
export const TOO_MANY_DROPPED_SHARE = 0.5;

export class WindowLog<W> {
  /** The windows kept, in order, with what each measured. */
  readonly kept: Array<{ window: W; sample: WindowSample }> = [];
  dropped = 0;
  /** Why the last dropped window was dropped. */
  droppedReason?: string;

  constructor(private readonly maxWindows: number) {}

  get taken(): number {
    return this.kept.length + this.dropped;
  }

  /**
   * Adds a window; `behind` is the self-audit's reason when the generator fell behind in it. Says
   * whether the measurement is settled: stable, overloaded, unstable (the limit), or one more window.
   */
  add(window: W, sample: WindowSample, behind?: string): WindowVerdict {
    if (behind !== undefined) {
      this.dropped++;
      this.droppedReason = behind;
      return this.taken >= this.maxWindows ? 'unstable' : 'more';
    }
    this.kept.push({ window, sample });
    return judgeWindows(
      this.kept.map((k) => k.sample),
      this.maxWindows - this.dropped,
    );
  }
}

/** True when a measurement dropped too many of its windows to say anything with confidence. */
export function droppedTooMany(dropped: number, taken: number): boolean {
  return dropped > 0 && dropped >= TOO_MANY_DROPPED_SHARE * taken;
}
