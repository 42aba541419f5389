// What a schedule switch does to a running cluster (control plane): the new profile's replica
// bounds, autoscaling and targets take effect at once, replicas beyond the new bounds are drained
// (after the gateway stops routing to them), a change of the live batching settings (batch size,
// batch wait) is applied by the running replicas between batches, and any other batching change
// replaces the replicas one at a time (a new one ready before an old one drains), as does a live
// change that a replica refused. A prewarm starts the next profile's replicas ahead of the switch
// and keeps the count from going below them until it.
import type { Profile } from '../../profile/types.js';
import type { ScheduleSwitch } from '../../profile/schedule/schedule.js';
import type { AutoscaleLoop } from '../autoscale/index.js';
import type { ClusterEvent } from '../events.js';
import type { Supervisor } from '../replicas/index.js';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { liveSettingNames, type LiveSettings } from '../../common/settings/live-settings.js';
import type { Logger } from '../../common/log.js';
import type { ClusterSchedule } from './runner.js';
import { LIVE_ANSWER_TIMEOUT_MS } from '../replicas/index.js';
import { ScheduleRunner } from './runner.js';
import type { SwitchHold } from './switch-hold.js';

/** The parts of a controller a switch acts on. */
export interface SwitchParts {
  supervisor: Supervisor;
  autoscaling: AutoscaleLoop;
  emit(e: ClusterEvent): void;
}

/** How a switch changes the replicas' batching: not at all, live (between batches), or by replacing them. */
export type BatchingChange = { kind: 'none' } | { kind: 'live'; settings: LiveSettings } | { kind: 'replace' };

/**
 * What going from `from` to `to` does to running replicas (only batching may differ in a schedule):
 * settings the settings table marks live are sent to them; any other difference replaces them.
 */
export function batchingChange(from: Profile, to: Profile): BatchingChange {
  const live = new Set(liveSettingNames());
  const a = from.batching as unknown as Record<string, unknown>;
  const b = to.batching as unknown as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[k] === b[k]) continue;
    if (!live.has(k)) return { kind: 'replace' };
    settings[k] = b[k];
  }
  return Object.keys(settings).length > 0 ? { kind: 'live', settings: settings as LiveSettings } : { kind: 'none' };
}

/** The replica count right after switching to `to` from `current`: clamped into its bounds (a pin stays). */
export function countAfterSwitch(to: Profile, current: number, pinned: number | undefined): number {
  if (pinned !== undefined) return current;
  return Math.min(to.replicas.max, Math.max(to.replicas.min, current));
}

/**
 * Switches the cluster from `from` to `to` (the caller has already put `to` in force: new replicas
 * are launched with it, the autoscaler follows it). Returns the batching change in progress, if any.
 */
export function switchProfile(
  parts: SwitchParts,
  from: Profile,
  to: Profile,
  sw: ScheduleSwitch,
): Promise<void> | undefined {
  const { supervisor, autoscaling } = parts;
  const current = supervisor.desired;
  const n = countAfterSwitch(to, current, autoscaling.pinned);
  const change = batchingChange(from, to);
  const how = {
    none: '',
    live: ', new batching (applied live by the running replicas)',
    replace: ', new batching (replacing replicas one at a time)',
  }[change.kind];
  const what =
    `${to.replicas.min}..${to.replicas.max} replicas, ` + `${to.autoscaling.targetOngoingRequests} per replica${how}`;
  autoscaling.record({
    by: 'schedule',
    action: n === current ? 'switch' : 'apply',
    from: current,
    to: n,
    reason: `schedule: ${sw.from} -> ${to.name} (${sw.reason}): ${what}`,
  });
  parts.emit({
    level: 'info',
    kind: 'schedule',
    message:
      `switched to ${to.name} (${sw.reason}): ${what}` + `${n === current ? '' : `; ${current} -> ${n} replicas`}`,
  });
  if (n !== current) supervisor.setReplicas(n);
  if (change.kind === 'replace') return supervisor.roll();
  return change.kind === 'live' ? applyLive(parts, change.settings) : undefined;
}

/** Sends a live batching change to the running replicas; replaces them all if any refused or did not answer. */
async function applyLive(parts: SwitchParts, settings: LiveSettings): Promise<void> {
  const answers = await parts.supervisor.reconfigureLive(settings, LIVE_ANSWER_TIMEOUT_MS);
  const failed = answers.filter((r) => !r.ok);
  if (failed.length === 0) return;
  parts.emit({
    level: 'warn',
    kind: 'schedule',
    message:
      `${failed.length} of ${answers.length} replicas did not take the new batching ` +
      `live (${failed.map((f) => `${f.id}: ${f.error}`).join('; ')}); replacing ` +
      `replicas one at a time`,
  });
  await parts.supervisor.roll();
}

/** Starts `next`'s replicas before the switch to it: at least its initial count, kept until the switch. */
export function prewarm(parts: SwitchParts, next: Profile, sw: ScheduleSwitch): void {
  const { supervisor, autoscaling } = parts;
  if (autoscaling.pinned !== undefined) return;
  const current = supervisor.desired;
  const n = Math.max(current, next.replicas.initial);
  autoscaling.setFloor(n);
  autoscaling.record({
    by: 'schedule',
    action: n === current ? 'prewarm' : 'apply',
    from: current,
    to: n,
    reason: `schedule: prewarming ${next.name}, which starts at ${sw.at.toISOString()}`,
  });
  if (n === current) return;
  parts.emit({
    level: 'info',
    kind: 'schedule',
    message:
      `prewarming ${next.name}: ${current} -> ${n} replicas, ready before the switch ` + `at ${sw.at.toISOString()}`,
  });
  supervisor.setReplicas(n);
}

/** A running cluster as its schedule drives it. */
export interface ScheduledCluster extends SwitchParts {
  log: Logger;
  /** Makes `to` the profile in force (state.json follows); the one it replaces, or undefined when stopping. */
  takeProfile(to: Profile): Profile | undefined;
  /** Holds prewarms and switches while a rollout runs; absent: never held. */
  hold?: SwitchHold;
}

/** The schedule's runner for a cluster: prewarms ahead of each boundary and switches at it. */
export function scheduleRunnerFor(
  sched: ClusterSchedule,
  clock: Clock,
  wallNowMs: (() => number) | undefined,
  c: ScheduledCluster,
): ScheduleRunner {
  return new ScheduleRunner({
    schedule: sched.schedule,
    clock,
    wallNowMs,
    onPrewarm: (sw) => held(c, `the prewarm of ${sw.profile}`, () => prewarm(c, sched.profiles[sw.profile]!, sw)),
    onSwitch: (sw) =>
      held(c, `the switch to ${sw.profile} (${sw.reason})`, () => {
        const to = sched.profiles[sw.profile]!;
        const from = c.takeProfile(to);
        if (from)
          void switchProfile(c, from, to, sw)?.catch((err) =>
            c.log.error('rolling replacement failed', { error: errorMessage(err) }),
          );
      }),
  });
}

/** Runs `act` unless a rollout is in progress; then it waits for the rollout's end, and says so. */
function held(c: ScheduledCluster, what: string, act: () => void): void {
  if (c.hold?.run(act))
    c.emit({ level: 'info', kind: 'schedule', message: `${what} waits for the rollout in progress to end` });
}
