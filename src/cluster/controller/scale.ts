// `serve scale N` and `serve scale auto` on a running cluster (control plane): a manual count is
// pinned until unpinned, and the answer says which replicas could not be placed and why.
import { UserError } from '../../common/errors.js';
import type { ScaleResult } from '../../common/cluster-status.js';
import type { Profile } from '../../profile/types.js';
import type { AutoscaleLoop } from '../autoscale/index.js';
import type { ClusterEvent } from '../events.js';
import type { Supervisor } from '../replicas/index.js';

export interface ScaleParts {
  /** The profile in force. */
  profile: Profile;
  /** The schedule's name when the cluster runs one. */
  schedule: string | undefined;
  supervisor: Supervisor;
  autoscaling: AutoscaleLoop;
  emit(e: ClusterEvent): void;
  /** A manual change of the count (the controller's metrics count it). */
  onScaled?(from: number, to: number): void;
}

/** Sets and pins the count; outside the profile's min..max only with `force`. */
export function scaleTo(p: ScaleParts, n: number, force: boolean): ScaleResult {
  const { min, max } = p.profile.replicas;
  if (!force && (n < min || n > max)) {
    const which = p.schedule ? ` (${p.profile.name}, in force under schedule ${p.schedule})` : '';
    throw new UserError(
      `${n} replicas is outside the profile's range ${min}..${max}${which}: pick a ` + `count in it, or add --force`,
    );
  }
  const from = p.supervisor.desired;
  p.autoscaling.pin(n, from);
  p.onScaled?.(from, n);
  p.supervisor.setReplicas(n);
  const pending = p.supervisor
    .status()
    .filter((r) => r.state === 'pending')
    .map((r) => ({ id: r.id, reason: r.reason ?? 'not placed' }));
  const placed =
    pending.length === 0
      ? ''
      : `; ${pending.length} pending (` + `${pending.map((x) => `${x.id}: ${x.reason}`).join('; ')})`;
  p.emit({
    level: 'info',
    kind: 'scaled',
    message: `scaling from ${from} to ${n} replicas, pinned until \`serve scale auto\`` + `${placed}`,
  });
  return { from, to: n, pending };
}

/** Unpins the count: the autoscaler decides again from the replicas there are. */
export function unpin(p: ScaleParts): ScaleResult {
  const n = p.supervisor.desired;
  const was = p.autoscaling.pinned;
  p.autoscaling.pin(undefined, n);
  p.emit({
    level: 'info',
    kind: 'scaled',
    message:
      was === undefined
        ? `autoscaling was not pinned; it decides from ${n} replicas`
        : `unpinned from ${was} replicas: autoscaling decides again`,
  });
  return { from: n, to: n, pending: [] };
}
