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
  const { clock, send, payloads, connections } = input;
  const startMs = input.startMs ?? clock.nowMs();
  const recorder = new Recorder(startMs, input.lateThresholdMs, input.intervalSamples ?? false);
  const whole = new ArrivalSchedule(input.ratePerSec, input.arrival, input.seed);
  const share = input.share && input.share.count > 1 ? new ScheduleShare(whole, input.share.index, input.share.count) : whole;
  const due = new DueQueue(share, input.durationMs);
  const backlog: number[] = [];
  let backlogHead = 0;
  let inFlight = 0;
  let lastDoneMs = startMs;
  let payloadIndex = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  // Polling costs CPU: at most a quarter of each gap between arrivals, and never more than 1 ms.
  const spinMs = Math.min(1, (250 * (input.share?.count ?? 1)) / input.ratePerSec);
  let finished = false;
  let interrupted = false;
  const backlogSize = () => backlog.length - backlogHead;

  return new Promise<PhaseOutput>((resolve) => {
    const drainDeadlineMs = startMs + input.durationMs + input.timeoutMs;
    const stopTicker = startTicker(input, recorder, () => {
      if (!finished) admit(clock.nowMs());
      return { inFlight, backlog: backlogSize(), requestedPerSec: input.ratePerSec };
    });

    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      stopTicker();
      input.signal?.removeEventListener('abort', onAbort);
      resolve({ recorder, startMs, endMs: Math.max(lastDoneMs, startMs + input.durationMs), interrupted });
    };

    const dispatch = (intendedMs: number) => {
      inFlight++;
      const sentMs = clock.nowMs();
      recorder.sent(intendedMs, sentMs);
      const payload = payloads[payloadIndex++ % payloads.length]!;
      void send(payload).then((outcome) => {
        if (finished) return;
        const doneMs = clock.nowMs();
        inFlight--;
        lastDoneMs = doneMs;
        recorder.done(intendedMs, sentMs, doneMs, outcome);
        afterAnswer();
      });
    };

    const fill = () => {
      while (inFlight < connections && backlogSize() > 0) dispatch(backlog[backlogHead++]!);
      // Compact now and then so the backlog array does not grow with the run's length.
      if (backlogHead > 4096 && backlogHead * 2 > backlog.length) {
        backlog.splice(0, backlogHead);
        backlogHead = 0;
      }
    };

    // Moves every arrival due by now into the backlog.
    const admit = (now: number) => {
      for (const dueMs of due.takeDue(now - startMs)) {
        recorder.counts.scheduled++;
        backlog.push(startMs + dueMs);
      }
    };

    const pump = () => {
      timer = undefined;
      immediate = undefined;
      if (finished) return;
      const now = clock.nowMs();
      admit(now);
      fill();
      const next = due.nextDueMs();
      if (next !== undefined) {
        // With every connection busy, answers drive admission (see dispatch): no timer, no polling.
        if (inFlight >= connections) return;
        // Timers fire up to ~1 ms late; wake a little early and poll the rest so sends are on time.
        const waitMs = startMs + next - clock.nowMs();
        if (waitMs <= spinMs) immediate = setImmediate(pump);
        else timer = setTimeout(pump, waitMs - spinMs);
      } else if (now >= drainDeadlineMs) {
        // The schedule is over and the drain time is spent: what still waits was never sent.
        for (let i = backlogSize(); i > 0; i--) recorder.error('not_sent');
        backlog.length = backlogHead = 0;
        if (inFlight === 0) finish();
        else timer = setTimeout(finishAfterInFlight, input.timeoutMs);
      } else if (inFlight === 0 && backlogSize() === 0) {
        finish();
      } else {
        timer = setTimeout(pump, Math.min(100, drainDeadlineMs - now));
      }
    };

    /** After an answer: admit and send what is due; restart the timer if connections came free. */
    const afterAnswer = () => {
      admit(clock.nowMs());
      fill();
      if (due.nextDueMs() === undefined && inFlight === 0 && backlogSize() === 0) finish();
      else if (timer === undefined && immediate === undefined) pump();
    };

    // Requests still in flight long after their timeout are counted as timeouts and abandoned.
    const finishAfterInFlight = () => {
      for (let i = inFlight; i > 0; i--) recorder.error('timeout');
      finish();
    };

    const onAbort = () => {
      interrupted = true;
      // Arrivals not yet sent were never due from the user's point of view: drop them.
      recorder.counts.scheduled -= backlogSize();
      backlog.length = backlogHead = 0;
      // Requests already sent are abandoned unanswered: count them so ok + errors = sent.
      for (let i = inFlight; i > 0; i--) recorder.error(INTERRUPTED_CLASS);
      finish();
    };
    if (input.signal?.aborted) return onAbort();
    input.signal?.addEventListener('abort', onAbort, { once: true });
    pump();
  });
}
