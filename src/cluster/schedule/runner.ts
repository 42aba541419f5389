// The schedule runner (control plane): the shell that switches a running cluster between the
// profiles of a schedule. It keeps one timer on the injected clock, for the next event only (the
// prewarm before a switch, or the switch itself), computed from the pure schedule maths and the
// wall clock; it never polls. Long waits are cut into pieces so a suspended host or a changed
// wall clock is noticed at the next piece.
import type { Clock, TimerHandle } from '../../common/clock.js';
import {
  activeProfile,
  nextChange,
  type ProfileSchedule,
  type ScheduleSwitch,
} from '../../profile/schedule/schedule.js';
import type { Profile } from '../../profile/types.js';

/** A schedule as the controller runs it: the times, and every profile it names, loaded. */
export interface ClusterSchedule {
  name: string;
  sourcePath: string;
  schedule: ProfileSchedule;
  profiles: Record<string, Profile>;
}

export interface ScheduleRunnerOptions {
  schedule: ProfileSchedule;
  clock: Clock;
  /** Wall-clock milliseconds since the epoch (default Date.now); tests move it with the clock. */
  wallNowMs?: () => number;
  /** Start the next profile's replicas now: the switch to `sw.profile` is `sw.prewarmMs` away. */
  onPrewarm(sw: ScheduleSwitch): void;
  /** Switch to `sw.profile` now. */
  onSwitch(sw: ScheduleSwitch): void;
}

/** The longest single wait: the timer is re-armed after it (host suspend, wall-clock changes, Node's timer limit). */
export const MAX_TIMER_MS = 6 * 3_600_000;

/** Drives a schedule's switches; `start` once, `stop` on shutdown. */
export class ScheduleRunner {
  /** The profile in force. */
  active: string;
  /** The coming switch, if any within the search horizon. */
  next: ScheduleSwitch | undefined;
  private timer: TimerHandle | undefined;
  private prewarmed: number | undefined;
  private stopped = false;

  constructor(private readonly o: ScheduleRunnerOptions) {
    this.active = activeProfile(o.schedule, new Date(this.wallNow()));
  }

  /** Arms the timer for the next event; a prewarm already due (started inside its period) runs at once. */
  start(): void {
    this.plan();
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimer(this.timer);
  }

  /** When the next prewarm starts (undefined when the next switch has none). */
  get prewarmAt(): Date | undefined {
    const n = this.next;
    return n && n.prewarmMs > 0 ? new Date(n.at.getTime() - n.prewarmMs) : undefined;
  }

  private wallNow(): number {
    return (this.o.wallNowMs ?? Date.now)();
  }

  /** Looks at the wall clock and does what is due, then arms the one timer for what comes next. */
  private plan(): void {
    if (this.stopped) return;
    const now = this.wallNow();
    const should = activeProfile(this.o.schedule, new Date(now));
    if (should !== this.active) {
      // A switch is due (its timer fired, or the host slept through it).
      const sw =
        this.next && this.next.at.getTime() <= now && this.next.profile === should
          ? this.next
          : { at: new Date(now), from: this.active, profile: should, reason: 'opens' as const, prewarmMs: 0 };
      this.active = should;
      this.prewarmed = undefined;
      this.o.onSwitch(sw);
    }
    this.next = nextChange(this.o.schedule, new Date(now));
    if (!this.next) {
      // Nothing within the horizon (a schedule without windows, or a long closure): look again later.
      return this.arm(MAX_TIMER_MS);
    }
    const at = this.next.at.getTime();
    const prewarmAt = at - this.next.prewarmMs;
    if (this.next.prewarmMs > 0 && now >= prewarmAt && this.prewarmed !== at) {
      this.prewarmed = at;
      this.o.onPrewarm(this.next);
    }
    const due = this.next.prewarmMs > 0 && this.prewarmed !== at ? prewarmAt : at;
    this.arm(Math.min(MAX_TIMER_MS, Math.max(0, due - now)));
  }

  private arm(delayMs: number): void {
    this.o.clock.clearTimer(this.timer);
    // unref: the schedule alone does not keep the controller alive.
    this.timer = this.o.clock.setTimer(() => this.plan(), delayMs, { unref: true });
  }
}
