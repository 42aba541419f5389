// One supervised process (control plane, pure core): a transition function (state, event, now) ->
// (state, actions) that decides starts, readiness, probes, restarts with backoff, crash loops, the
// long retry of a failed child, drains and lost hosts. Replicas and the gateway both run on it; the
// shells (supervisor.ts, gateway-link.ts) only carry out the actions.
import { hasProcess, type ChildAction, type ChildEvent, type ChildPolicy, type ChildState } from './child-state.js';
import { firstLine, formatWait } from './child-wording.js';

type Result = { state: ChildState; actions: ChildAction[] };
const same = (state: ChildState): Result => ({ state, actions: [] });

/** The next state and what to do, for `event` at `nowMs`. Pure. */
export function transition(s: ChildState, e: ChildEvent, nowMs: number, p: ChildPolicy): Result {
  switch (e.type) {
    case 'place':
      return s.phase === 'pending' || s.phase === 'lost'
        ? launch(s, nowMs, p, s.phase === 'lost' ? s.restarts + 1 : s.restarts)
        : same(s);
    case 'unplaced':
      return onUnplaced(s, e.reason);
    case 'ready':
      return s.phase === 'starting' ? onReady(s, nowMs) : same(s);
    case 'adopted':
      return s.phase === 'pending' ? onAdopted(s, nowMs) : same(s);
    case 'fatal':
      return hasProcess(s) ? same({ ...s, failWhy: `fatal: ${e.error}` }) : same(s);
    case 'probe':
      return s.phase === 'ready' ? onProbe(s, e.ok, e.error, p) : same(s);
    case 'over-limit':
      return s.phase === 'ready' ? endProcess(s, e.why, 'drain') : same(s);
    case 'timer':
      return s.timerAtMs === e.atMs ? onTimer(s, nowMs, p) : same(s);
    case 'exited':
      return onExited(s, e.how, nowMs, p);
    case 'retire':
      return onRetire(s);
    case 'host-lost':
      return onLost(s, e.why);
  }
}

function launch(s: ChildState, nowMs: number, p: ChildPolicy, restarts: number): Result {
  const atMs = nowMs + p.startupTimeoutMs;
  const state = {
    ...s,
    phase: 'starting' as const,
    restarts,
    reason: undefined,
    failWhy: undefined,
    probeFailures: 0,
    readySinceMs: undefined,
    timerAtMs: atMs,
  };
  return { state, actions: [{ type: 'launch' }, { type: 'arm', atMs }] };
}

function onUnplaced(s: ChildState, reason: string): Result {
  if (s.phase !== 'pending' && s.phase !== 'lost') return same(s);
  if (s.reason === reason) return same(s);
  const report: ChildAction = { type: 'report', level: 'warn', kind: 'pending', message: `pending: ${reason}` };
  return { state: { ...s, phase: 'pending', reason }, actions: [report] };
}

function onReady(s: ChildState, nowMs: number): Result {
  const state = {
    ...s,
    phase: 'ready' as const,
    everReady: true,
    failedStarts: 0,
    readySinceMs: nowMs,
    probeFailures: 0,
    reason: undefined,
    lastError: undefined,
    timerAtMs: undefined,
  };
  return {
    state,
    actions: [
      { type: 'disarm' },
      { type: 'report', level: 'info', kind: 'ready', message: 'ready' },
      { type: 'routing' },
    ],
  };
}

/** A verified running process taken over from a dead controller: ready at once, no start, no timer. */
function onAdopted(s: ChildState, nowMs: number): Result {
  const { state } = onReady({ ...s, phase: 'starting' }, nowMs);
  return {
    state,
    actions: [
      { type: 'disarm' },
      { type: 'report', level: 'info', kind: 'adopted', message: 'adopted (kept running, not restarted)' },
      { type: 'routing' },
    ],
  };
}

function onProbe(s: ChildState, ok: boolean, error: string | undefined, p: ChildPolicy): Result {
  if (ok) return s.probeFailures === 0 ? same(s) : same({ ...s, probeFailures: 0 });
  const failures = s.probeFailures + 1;
  if (failures >= p.failureThreshold)
    return endProcess(
      { ...s, probeFailures: failures },
      `failed ${failures} health probes in a row (${error ?? 'no answer'})`,
      'kill',
    );
  const report: ChildAction = {
    type: 'report',
    level: 'warn',
    kind: 'probe',
    message: `probe failed (${error ?? 'no answer'}), ${failures} in a row`,
  };
  return { state: { ...s, probeFailures: failures }, actions: [report] };
}

/** Takes a running child out of routing and ends its process; its exit is then a failure. */
function endProcess(s: ChildState, why: string, how: 'kill' | 'drain'): Result {
  const state = { ...s, phase: 'unhealthy' as const, reason: why, failWhy: why, timerAtMs: undefined };
  const actions: ChildAction[] = [
    { type: 'disarm' },
    { type: 'report', level: 'warn', kind: 'unhealthy', message: `${why}: replacing it` },
    { type: 'routing' },
    { type: how },
  ];
  return { state, actions };
}

function onTimer(s: ChildState, nowMs: number, p: ChildPolicy): Result {
  if (s.phase === 'starting')
    return endProcess(s, `not ready within ${p.startupTimeoutMs}ms (health.startup_timeout)`, 'kill');
  if (s.phase === 'restarting') return launch(s, nowMs, p, s.restarts + 1);
  if (s.phase === 'failed') {
    // The long retry: a fresh start, as if the child had never failed.
    const state = {
      ...s,
      phase: 'pending' as const,
      attempt: 0,
      failureTimesMs: [],
      failedStarts: 0,
      timerAtMs: undefined,
      restarts: s.restarts + 1,
    };
    return {
      state,
      actions: [
        { type: 'report', level: 'info', kind: 'retry', message: 'trying the failed replica again' },
        { type: 'place' },
      ],
    };
  }
  return same({ ...s, timerAtMs: undefined });
}

function onExited(s: ChildState, how: string, nowMs: number, p: ChildPolicy): Result {
  if (!hasProcess(s)) return same(s);
  if (s.stopping || s.phase === 'draining') {
    return {
      state: { ...s, phase: 'stopped', timerAtMs: undefined },
      actions: [{ type: 'disarm' }, { type: 'routing' }, { type: 'remove' }],
    };
  }
  const why = s.failWhy ?? how;
  const lastError = firstLine(why.replace(/^fatal: /, ''));
  if (p.failFastBeforeFirstReady && !s.everReady) return fail({ ...s, lastError }, why, nowMs, undefined);
  const r = p.restart;
  const attempt = s.readySinceMs !== undefined && nowMs - s.readySinceMs >= r.resetAfterMs ? 0 : s.attempt;
  const failureTimesMs = [...s.failureTimesMs.filter((t) => nowMs - t < r.crashLoopWindowMs), nowMs];
  const failedStarts = s.readySinceMs === undefined ? s.failedStarts + 1 : 0;
  const next = { ...s, attempt, failureTimesMs, failedStarts, readySinceMs: undefined, lastError };
  if (failureTimesMs.length >= r.crashLoopFailures) {
    return fail(
      next,
      `crash loop: ${failureTimesMs.length} failures within ` + `${r.crashLoopWindowMs / 1000}s (last: ${why})`,
      nowMs,
      r.failedRetryMs,
    );
  }
  if (failedStarts >= r.crashLoopFailures)
    return fail(
      next,
      `crash loop: ${failedStarts} starts in a row never became ready (last: ${why})`,
      nowMs,
      r.failedRetryMs,
    );
  const delayMs = Math.min(r.initialBackoffMs * r.backoffMultiplier ** attempt, r.maxBackoffMs);
  const atMs = nowMs + delayMs;
  const state = { ...next, phase: 'restarting' as const, attempt: attempt + 1, reason: why, timerAtMs: atMs };
  const report: ChildAction = {
    type: 'report',
    level: 'warn',
    kind: 'restarting',
    message: `${why}; restarting in ${Math.round(delayMs)}ms`,
  };
  return { state, actions: [report, { type: 'arm', atMs }, { type: 'routing' }] };
}

/** Gives up on the child; with `retryMs` it is tried again from scratch after that long. */
function fail(s: ChildState, reason: string, nowMs: number, retryMs: number | undefined): Result {
  const atMs = retryMs === undefined ? undefined : nowMs + retryMs;
  const retry =
    atMs === undefined ? '; not restarting' : `; trying again in ${formatWait(retryMs!)} (restart.failed_retry)`;
  const state = { ...s, phase: 'failed' as const, reason, timerAtMs: atMs };
  const actions: ChildAction[] = [
    { type: 'report', level: 'error', kind: 'failed', message: `failed: ${reason}${retry}` },
    { type: 'routing' },
  ];
  actions.push(atMs === undefined ? { type: 'disarm' } : { type: 'arm', atMs });
  return { state, actions };
}

function onRetire(s: ChildState): Result {
  if (s.stopping) return same(s);
  if (!hasProcess(s)) {
    return {
      state: { ...s, phase: 'stopped', stopping: true, timerAtMs: undefined },
      actions: [{ type: 'disarm' }, { type: 'routing' }, { type: 'remove' }],
    };
  }
  const state = { ...s, phase: 'draining' as const, stopping: true, timerAtMs: undefined };
  // An unhealthy child is already being ended (killed or drained): only its exit is awaited.
  const end: ChildAction[] = s.phase === 'unhealthy' ? [] : [{ type: 'drain' }];
  return { state, actions: [{ type: 'disarm' }, { type: 'routing' }, ...end] };
}

function onLost(s: ChildState, why: string): Result {
  if (s.stopping || s.phase === 'stopped' || s.phase === 'failed' || s.phase === 'lost') return same(s);
  const state = {
    ...s,
    phase: 'lost' as const,
    reason: why,
    failWhy: why,
    timerAtMs: undefined,
    readySinceMs: undefined,
  };
  const actions: ChildAction[] = [
    { type: 'disarm' },
    { type: 'report', level: 'warn', kind: 'lost', message: `lost: ${why}; replacing it` },
    { type: 'routing' },
  ];
  if (hasProcess(s)) actions.push({ type: 'kill' });
  actions.push({ type: 'place' });
  return { state, actions };
}
