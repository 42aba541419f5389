// Open-loop driver (loadtest): sends each arrival at its due time whatever the server does, keeps
// at most `connections` in flight, and measures latency from the intended time (no coordinated
// omission) beside the service time from the actual send.
import { INTERRUPTED_CLASS, Recorder } from './recorder.js';
import { ArrivalSchedule, DueQueue, ScheduleShare } from './schedule.js';
import { startTicker, type PhaseInput, type PhaseOutput } from './phase.js';
import type { ArrivalKind } from './types.js';

export interface OpenPhaseInput extends PhaseInput {
  ratePerSec: number;
  arrival: ArrivalKind;
  seed: number;
  connections: number;
  /** This process's share of the schedule when several workers send it (see ScheduleShare). */
  share?: { index: number; count: number };
}

/**
 * Runs one open-loop phase. Arrivals that find every connection busy wait in a FIFO backlog and
 * are sent late (counted); those still waiting `timeoutMs` after the schedule ends are never sent.
 */
export function runOpenPhase(input: OpenPhaseInput): Promise<PhaseOutput> {
  return new Promise<PhaseOutput>((resolve) => new OpenLoop(input, resolve).start());
}

/**
 * The state of one running phase. Its methods are the steps of the loop; those handed to timers and
 * the abort signal are arrow fields, bound once per phase, so the hot path allocates no closures
 * beyond the one per request that carries its send times to the answer.
 */
class OpenLoop {
  private readonly startMs: number;
  private readonly recorder: Recorder;
  private readonly due: DueQueue;
  private readonly drainDeadlineMs: number;
  /** Polling costs CPU: at most a quarter of each gap between arrivals, and never more than 1 ms. */
  private readonly spinMs: number;
  private readonly backlog: number[] = [];
  private backlogHead = 0;
  private inFlight = 0;
  private lastDoneMs: number;
  private payloadIndex = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private finished = false;
  private interrupted = false;
  private stopTicker: () => void = () => {};

  constructor(
    private readonly input: OpenPhaseInput,
    private readonly resolve: (output: PhaseOutput) => void,
  ) {
    this.startMs = input.startMs ?? input.clock.nowMs();
    this.recorder = new Recorder(this.startMs, input.lateThresholdMs, input.intervalSamples ?? false);
    const whole = new ArrivalSchedule(input.ratePerSec, input.arrival, input.seed);
    const share =
      input.share && input.share.count > 1 ? new ScheduleShare(whole, input.share.index, input.share.count) : whole;
    this.due = new DueQueue(share, input.durationMs);
    this.drainDeadlineMs = this.startMs + input.durationMs + input.timeoutMs;
    this.spinMs = Math.min(1, (250 * (input.share?.count ?? 1)) / input.ratePerSec);
    this.lastDoneMs = this.startMs;
  }

  start(): void {
    const { input } = this;
    this.stopTicker = startTicker(input, this.recorder, () => {
      if (!this.finished) this.admit(input.clock.nowMs());
      return { inFlight: this.inFlight, backlog: this.backlogSize(), requestedPerSec: input.ratePerSec };
    });
    if (input.signal?.aborted) return this.onAbort();
    input.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.pump();
  }

  private backlogSize(): number {
    return this.backlog.length - this.backlogHead;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.stopTicker();
    this.input.signal?.removeEventListener('abort', this.onAbort);
    const { recorder, startMs } = this;
    this.resolve({
      recorder,
      startMs,
      endMs: Math.max(this.lastDoneMs, startMs + this.input.durationMs),
      interrupted: this.interrupted,
    });
  }

  private dispatch(intendedMs: number): void {
    const { clock, send, payloads } = this.input;
    this.inFlight++;
    const sentMs = clock.nowMs();
    this.recorder.sent(intendedMs, sentMs);
    const payload = payloads[this.payloadIndex++ % payloads.length]!;
    void send(payload).then((outcome) => {
      if (this.finished) return;
      const doneMs = clock.nowMs();
      this.inFlight--;
      this.lastDoneMs = doneMs;
      this.recorder.done(intendedMs, sentMs, doneMs, outcome);
      this.afterAnswer();
    });
  }

  private fill(): void {
    const { backlog } = this;
    const connections = this.input.connections;
    while (this.inFlight < connections && this.backlogSize() > 0) this.dispatch(backlog[this.backlogHead++]!);
    // Compact now and then so the backlog array does not grow with the run's length.
    if (this.backlogHead > 4096 && this.backlogHead * 2 > backlog.length) {
      backlog.splice(0, this.backlogHead);
      this.backlogHead = 0;
    }
  }

  /** Moves every arrival due by now into the backlog. */
  private admit(now: number): void {
    for (const dueMs of this.due.takeDue(now - this.startMs)) {
      this.recorder.counts.scheduled++;
      this.backlog.push(this.startMs + dueMs);
    }
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.finished) return;
    const now = this.input.clock.nowMs();
    this.admit(now);
    this.fill();
    const next = this.due.nextDueMs();
    if (next !== undefined) this.waitForNext(next);
    else if (now >= this.drainDeadlineMs) this.dropUnsent();
    else if (this.inFlight === 0 && this.backlogSize() === 0) this.finish();
    else this.timer = setTimeout(this.pump, Math.min(100, this.drainDeadlineMs - now));
  };

  /** Schedules the next pump for the arrival due at `nextDueMs` (relative to the start). */
  private waitForNext(nextDueMs: number): void {
    // With every connection busy, answers drive admission (see dispatch): no timer, no polling.
    if (this.inFlight >= this.input.connections) return;
    // Timers fire up to ~1 ms late; wake a little early and poll the rest so sends are on time.
    const waitMs = this.startMs + nextDueMs - this.input.clock.nowMs();
    if (waitMs <= this.spinMs) this.immediate = setImmediate(this.pump);
    else this.timer = setTimeout(this.pump, waitMs - this.spinMs);
  }

  /** The schedule is over and the drain time is spent: what still waits was never sent. */
  private dropUnsent(): void {
    for (let i = this.backlogSize(); i > 0; i--) this.recorder.error('not_sent');
    this.backlog.length = this.backlogHead = 0;
    if (this.inFlight === 0) this.finish();
    else this.timer = setTimeout(this.finishAfterInFlight, this.input.timeoutMs);
  }

  /** After an answer: admit and send what is due; restart the timer if connections came free. */
  private afterAnswer(): void {
    this.admit(this.input.clock.nowMs());
    this.fill();
    if (this.due.nextDueMs() === undefined && this.inFlight === 0 && this.backlogSize() === 0) this.finish();
    else if (this.timer === undefined && this.immediate === undefined) this.pump();
  }

  /** Requests still in flight long after their timeout are counted as timeouts and abandoned. */
  private readonly finishAfterInFlight = (): void => {
    for (let i = this.inFlight; i > 0; i--) this.recorder.error('timeout');
    this.finish();
  };

  private readonly onAbort = (): void => {
    this.interrupted = true;
    // Arrivals not yet sent were never due from the user's point of view: drop them.
    this.recorder.counts.scheduled -= this.backlogSize();
    this.backlog.length = this.backlogHead = 0;
    // Requests already sent are abandoned unanswered: count them so ok + errors = sent.
    for (let i = this.inFlight; i > 0; i--) this.recorder.error(INTERRUPTED_CLASS);
    this.finish();
  };
}
