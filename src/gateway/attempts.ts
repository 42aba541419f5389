// A request's attempts at an upstream (gateway, data plane): dispatching one, and what happens when it
// ends: the answer passed on, one retry elsewhere, or a replica's own fault counted towards ejecting it;
// and a try its replica's silence outlasted (try-watch.ts), given up and resent elsewhere.
import type { Clock } from '../common/clock.js';
import type { GatewaySettings } from '../common/settings/table-gateway.js';
import type { RateMeter, Refusal } from './admission.js';
import { forwardBudgetMs } from './deadline.js';
import { armJudge, type DeadlineHost } from './deadline-watch.js';
import { Attempt, type AttemptSink, type Exchange } from './exchange.js';
import { upstreamRequestHeaders } from './headers.js';
import type { GatewayMetrics } from './metrics.js';
import type { OtherServers } from './migration.js';
import type { CoreCounters, Responder } from './responder.js';
import type { ServiceTime } from './service-time.js';
import type { TryWatchHost } from './per-try/try-watch.js';
import type { Upstream } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';

/** What dispatching and ending attempts needs of the gateway core (GatewayCore). */
export interface AttemptHost extends AttemptSink, DeadlineHost, TryWatchHost {
  /** Attempts at replicas not yet ended. */
  inflight: number;
  readonly set: UpstreamSet;
  readonly clock: Clock;
  readonly answers: Responder;
  readonly others: OtherServers | undefined;
  readonly completions: RateMeter;
  readonly serviceTime: ServiceTime;
  readonly metrics: GatewayMetrics;
  readonly counters: CoreCounters;
  readonly limits: Pick<GatewaySettings, 'forwardMarginMs' | 'tryTimeoutMinMs'> & { replicaToken?: string };
  /** Counts a failure of `u` (a hang never ejects the last available replica). */
  failure(u: Upstream, reason: string, hang?: boolean): void;
  pump(): void;
  admit(ex: Exchange): void;
  shedOr(ex: Exchange, reason: Refusal['reason'] | 'no_replica' | 'expired', message: string): void;
}

export function dispatch(host: AttemptHost, ex: Exchange, u: Upstream): void {
  const nowMs = host.clock.nowMs();
  u.inflight++;
  if (u.kind === 'replica') host.inflight++;
  const attempt = new Attempt(ex, u, nowMs, host);
  ex.attempt = attempt;
  ex.version = u.version;
  const budget = forwardBudgetMs(ex.deadlineMs - nowMs, host.limits.forwardMarginMs);
  attempt.forwardedBudgetMs = budget;
  const opts = {
    path: ex.req.url!,
    method: ex.req.method as 'GET',
    headers:
      u.kind === 'replica'
        ? upstreamRequestHeaders(ex.req.rawHeaders, budget, host.limits.replicaToken, u.inflight)
        : upstreamRequestHeaders(ex.req.rawHeaders, budget),
    body: ex.body,
  };
  // A local replica's infer requests go over its frame socket; the rest over HTTP.
  if (ex.infer && u.frames !== undefined) u.frames.dispatch(opts, attempt);
  else u.pool.dispatch(opts, attempt);
}

export function attemptSent(host: AttemptHost, a: Attempt): void {
  // Judged from here, not from dispatch: under a flood the gateway itself may write it late.
  a.sentAtMs = host.clock.nowMs();
  a.completedAtSend = a.upstream.completed;
  if (a.abandoned)
    armJudge(host, a); // its deadline passed before the gateway got to write it
  else if (a.upstream.kind === 'replica') a.upstream.tries.add(host, a);
}

/**
 * Its replica answered nothing for the try timeout (try-timeout.ts): a failure of the replica (so
 * consecutive ones eject it, as refused connections do), and the request goes to another replica
 * within its deadline. With nowhere else to go it keeps waiting here (a late answer still counts).
 */
export function tryTimedOut(host: AttemptHost, a: Attempt): void {
  const ex = a.exchange;
  if (a.ended || a.abandoned || ex.done) return;
  const u = a.upstream;
  a.timedOut = true;
  host.failure(u, 'no answer within the try timeout', true);
  const once = !ex.retried && !ex.timeoutRetried;
  if (!((once && host.set.hasAvailable(u)) || host.others?.canTakeOver(u) === true)) return;
  a.abort();
  retry(host, ex, u, 'timeout');
  host.pump();
}

export function shouldRetryShed(host: AttemptHost, a: Attempt): boolean {
  const ex = a.exchange;
  // A replica's own 5xx (a rollout's bad version): retried once on a replica of the other version.
  if (a.verdict.retry === 'version') return !ex.done && !ex.retried && host.set.otherVersionAvailable(a.upstream);
  return (
    !ex.done && ((!ex.retried && host.set.hasAvailable(a.upstream)) || host.others?.canTakeOver(a.upstream) === true)
  );
}

export function attemptDone(host: AttemptHost, a: Attempt): void {
  const ex = release(host, a);
  const u = a.upstream;
  u.completed++;
  const nowMs = host.clock.nowMs();
  u.tries.answered(nowMs, a.sentAtMs);
  if (u.kind === 'replica') host.completions.record(nowMs);
  const verdict = a.verdict;
  if (verdict.timed && a.exchange.infer) host.serviceTime.record(a.reportedInferMs());
  if (verdict.health === 'fault') host.failure(u, `status ${a.status}`);
  else if (verdict.health === 'healthy') u.recordSuccess();
  // Abandoned: its client was answered at the deadline; a late answer only shows the replica lives.
  if (a.abandoned) return host.pump();
  if (a.shed) retry(host, ex, u, verdict.retry!);
  else host.answers.respond(ex, a);
  host.pump();
}

export function attemptFailed(host: AttemptHost, a: Attempt, err: Error): void {
  const ex = release(host, a);
  // Aborted by the gateway after it was judged: already counted if it was the replica's fault.
  if (a.aborted) return host.pump();
  const u = a.upstream;
  const reason = (err as { code?: string }).code ?? err.message;
  host.failure(u, reason);
  if (a.abandoned) return host.pump();
  if (!a.headersSeen && ((!ex.retried && host.set.hasAvailable(u)) || host.others?.canTakeOver(u)))
    retry(host, ex, u, 'connect');
  else
    host.answers.finishOwn(
      ex,
      502,
      `replica ${u.id} ` + `${a.headersSeen ? 'broke off its response' : 'failed before answering'} (` + `${reason})`,
    );
  host.pump();
}

function release(host: AttemptHost, a: Attempt): Exchange {
  a.upstream.inflight--;
  a.upstream.tries.remove(a);
  if (a.upstream.kind === 'replica') host.inflight--;
  host.clock.clearTimer(a.judgeTimer ?? undefined);
  const ex = a.exchange;
  ex.upstreamMs += host.clock.nowMs() - a.startMs;
  if (ex.attempt === a) ex.attempt = null;
  return ex;
}

function retry(
  host: AttemptHost,
  ex: Exchange,
  from: Upstream,
  reason: 'connect' | 'shed' | 'version' | 'timeout',
): void {
  if (ex.done) return;
  // The judge of a rollout still sees the error: it counts for the version that made it.
  if (reason === 'version')
    host.metrics.observeVersion((ex.excludeVersion = from.version)!, 500, (host.clock.nowMs() - ex.startMs) / 1000);
  const again = ex.retried; // a second retry only ever goes to the fallback
  // A try that timed out is resent without using up the one retry a failure before an answer gets.
  if (reason === 'timeout') ex.timeoutRetried = true;
  else ex.retried = true;
  ex.exclude = from;
  host.counters.retries++;
  host.metrics.retried(reason);
  if (again) host.shedOr(ex, 'no_replica', host.set.noReplicaMessage());
  else host.admit(ex);
}
