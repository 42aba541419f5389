// Closed-loop driver (loadtest): `concurrency` loops each send the next request as soon as the last
// one is answered. The server sets the pace, so latency is service time (no intended schedule).
import { INTERRUPTED_CLASS, Recorder } from './recorder.js';
import { startTicker, type PhaseInput, type PhaseOutput } from './phase.js';

export interface ClosedPhaseInput extends PhaseInput {
  concurrency: number;
}

/** Runs one closed-loop phase for `durationMs`; requests in flight at the end are awaited. */
export async function runClosedPhase(input: ClosedPhaseInput): Promise<PhaseOutput> {
  const { clock, send, payloads } = input;
  const startMs = input.startMs ?? clock.nowMs();
  const endAtMs = startMs + input.durationMs;
  const recorder = new Recorder(startMs, input.lateThresholdMs, input.intervalSamples ?? false);
  let inFlight = 0;
  let lastDoneMs = startMs;
  let payloadIndex = 0;
  let interrupted = false;
  const stopTicker = startTicker(input, recorder, () => ({ inFlight, backlog: 0, requestedPerSec: null }));

  const loop = async () => {
    while (clock.nowMs() < endAtMs && !input.signal?.aborted) {
      const sentMs = clock.nowMs();
      recorder.counts.scheduled++;
      recorder.sent(sentMs, sentMs);
      inFlight++;
      const outcome = await send(payloads[payloadIndex++ % payloads.length]!);
      inFlight--;
      if (input.signal?.aborted) break;
      const doneMs = clock.nowMs();
      lastDoneMs = doneMs;
      recorder.done(sentMs, sentMs, doneMs, outcome);
      // A server that fails instantly would spin this loop; yield so timers and signals still run.
      if (!outcome.ok) await new Promise((r) => setImmediate(r));
    }
  };
  // On abort, do not wait for answers still in flight: report what was measured.
  const aborted = new Promise<void>((resolve) => {
    if (input.signal?.aborted) resolve();
    input.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.race([Promise.all(Array.from({ length: input.concurrency }, loop)), aborted]);
  if (input.signal?.aborted) {
    interrupted = true;
    // Requests abandoned unanswered (their loops record nothing after the abort): ok + errors = sent.
    for (let i = inFlight; i > 0; i--) recorder.error(INTERRUPTED_CLASS);
  }
  stopTicker();
  return { recorder, startMs, endMs: Math.max(lastDoneMs, Math.min(clock.nowMs(), endAtMs)), interrupted };
}
