// What a running rollout holds back (control plane): scaling, reconfiguring and another rollout wait
// for its end, and the autoscaler leaves the replica count alone (as during a rolling replacement).
import { UserError } from '../../common/errors.js';
import type { ScalingTarget } from '../autoscale/index.js';

/** Throws a UserError naming `what` while a rollout to `toVersion` runs (undefined: none runs). */
export function guardRollout(toVersion: number | undefined, what: string): void {
  if (toVersion !== undefined)
    throw new UserError(
      `a rollout to version ${toVersion} is in progress: ${what} waits until it ends ` +
        `(\`serve rollout status\`, or \`serve rollout abort\`)`,
    );
}

/** `target`, reading as rolling while `active()`, so the autoscaler leaves it alone. */
export function holdScaling(target: ScalingTarget, active: () => boolean): ScalingTarget {
  return {
    get desired() {
      return target.desired;
    },
    get ready() {
      return target.ready;
    },
    get rolling() {
      return target.rolling || active();
    },
    setReplicas: (n) => target.setReplicas(n),
    sampleLoad: (timeoutMs) => target.sampleLoad(timeoutMs),
  };
}
