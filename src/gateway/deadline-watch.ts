// What happens at a request's deadline at the gateway (gateway, data plane): a body still arriving
// is the client's fault (408), a request still queued was shed (503), one at a busy replica is load
// (503); only a replica that answered nothing at all gets the 504 and is judged, a little later,
// for ejection (deadline.ts has the pure rules).
import type { Clock } from '../common/clock.js';
import { isHung, judgeAtMs } from './deadline.js';
import type { Attempt, Exchange } from './exchange.js';
import type { Responder } from './responder.js';
import type { Upstream } from './upstream.js';

/** What the deadline handling needs of the gateway core. */
export interface DeadlineHost {
  readonly clock: Clock;
  readonly answers: Responder;
  /** Takes `ex` out of the wait queue; false if it was not queued. */
  removeQueued(ex: Exchange): boolean;
  /** True while the replicas are saturated. */
  overloaded(): boolean;
  /** Counts a failure of `u` (a hang never ejects the last available replica). */
  failure(u: Upstream, reason: string, hang: boolean): void;
}

/** Called by the exchange's deadline timer. */
export function onDeadline(host: DeadlineHost, ex: Exchange, budget: number): void {
  ex.timer = null;
  if (ex.done) return;
  const { answers } = host;
  if (ex.readingBody) {
    return answers.finishOwn(
      ex,
      408,
      `the request body did not arrive within the deadline of ${budget} ms; the ` + `connection is closed`,
      true,
    );
  }
  // Never sent: the replicas were too busy for it, which is shedding, not a timeout.
  if (host.removeQueued(ex))
    return answers.shed(
      ex,
      'expired',
      `no replica was free within the deadline of ${budget} ms: the replicas are ` + `saturated; retry later`,
    );
  const a = ex.attempt;
  if (a !== null && !a.ended && !ex.deadlineChecked) {
    // Look again after the event loop's next I/O phase (a phase hop, not a timer): when the
    // gateway falls behind, the answer may be in its socket already, and is then sent, not a 504.
    ex.deadlineChecked = true;
    setImmediate(() => onDeadline(host, ex, budget));
    return;
  }
  if (a !== null && !a.ended) {
    a.abandoned = true;
    // Not yet written (the gateway's own backlog): judged from when it is.
    const sent = a.sentAtMs >= 0;
    if (sent) armJudge(host, a);
    // A replica that answered other requests meanwhile is busy, not failing: that miss is load
    // (503, retry later). Only one that answered nothing at all gets the 504 (and is judged).
    if (!sent || host.overloaded() || a.upstream.completed !== a.completedAtSend) {
      return answers.shed(
        ex,
        'expired',
        `no answer within the deadline of ${budget} ms: the replicas are busy; retry later`,
      );
    }
  }
  answers.finishOwn(ex, 504, `no answer within the deadline of ${budget} ms`);
}

/** Judges an abandoned attempt when its time comes (see judgeAtMs). */
export function armJudge(host: DeadlineHost, a: Attempt): void {
  const { clock } = host;
  a.judgeTimer = clock.setTimer(
    () => judge(host, a),
    Math.max(0, judgeAtMs(a.sentAtMs, a.forwardedBudgetMs) - clock.nowMs()),
  );
}

/** An abandoned attempt still unanswered: a failure only if its replica answered nothing at all meanwhile. */
function judge(host: DeadlineHost, a: Attempt): void {
  a.judgeTimer = null;
  // Decide after the event loop's next I/O phase: under a flood the gateway itself can fall
  // behind, and answers already in its sockets must be read before a replica is called hung.
  setImmediate(() => {
    if (a.ended) return;
    // A try that timed out was counted then (attempts.ts tryTimedOut).
    if (!a.timedOut && isHung(a.forwardedBudgetMs, a.completedAtSend, a.upstream.completed))
      host.failure(a.upstream, 'no answer', true);
    a.abort();
  });
}
