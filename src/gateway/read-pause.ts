// Connections the gateway stops reading while it is over budget (gateway, data plane), as Envoy's
// overload manager does: a client whose request was shed for load is not read again until a replica
// slot frees (or Retry-After has passed), so the gateway's CPU goes to requests it can serve, not to
// parsing and refusing more of the same flood. Pure bookkeeping on the injected Clock.
import type { Clock, TimerHandle } from '../common/clock.js';

/** A connection as seen here: net.Socket in the gateway, a fake in tests. */
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
  readonly destroyed: boolean;
}

/** Longest a connection stays unread (ms): as long as the 503's Retry-After asks the client to wait. */
export const MAX_PAUSE_MS = 1000;
/** How often paused connections are checked against MAX_PAUSE_MS (ms). */
const SWEEP_MS = 100;

export class ReadPause {
  /** Paused connections in the order they were paused (oldest first), with when (clock ms). */
  private readonly paused: { conn: Pausable; atMs: number }[] = [];
  private head = 0;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly maxPauseMs = MAX_PAUSE_MS,
  ) {}

  /** Connections paused now. */
  get size(): number {
    return this.paused.length - this.head;
  }

  /** Stops reading `conn` (the request it carried has been answered in full). */
  pause(conn: Pausable): void {
    if (conn.destroyed) return;
    conn.pause();
    this.paused.push({ conn, atMs: this.clock.nowMs() });
    if (this.timer === null) this.timer = this.clock.setTimer(() => this.sweep(), SWEEP_MS, { unref: true });
  }

  /** Reads again from up to `n` connections, those paused longest first; returns how many. */
  resume(n: number): number {
    let done = 0;
    while (done < n && this.head < this.paused.length) {
      const { conn } = this.paused[this.head++]!;
      if (conn.destroyed) continue;
      conn.resume();
      done++;
    }
    this.compact();
    return done;
  }

  /** Reads again from every paused connection (drain, close). */
  resumeAll(): void {
    this.resume(Infinity);
  }

  /** Resumes the connections paused for maxPauseMs or longer. */
  private sweep(): void {
    this.timer = null;
    const nowMs = this.clock.nowMs();
    while (this.head < this.paused.length && nowMs - this.paused[this.head]!.atMs >= this.maxPauseMs) {
      const { conn } = this.paused[this.head++]!;
      if (!conn.destroyed) conn.resume();
    }
    this.compact();
    if (this.size > 0) this.timer = this.clock.setTimer(() => this.sweep(), SWEEP_MS, { unref: true });
  }

  private compact(): void {
    if (this.head === this.paused.length) {
      this.paused.length = 0;
      this.head = 0;
      if (this.timer !== null) {
        this.clock.clearTimer(this.timer);
        this.timer = null;
      }
    } else if (this.head > 1024 && this.head * 2 > this.paused.length) {
      this.paused.splice(0, this.head);
      this.head = 0;
    }
  }
}
