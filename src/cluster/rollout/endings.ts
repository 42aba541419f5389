// How a rollout ends (control plane): completing moves all traffic to the new version and drains the
// old replicas; rolling back moves traffic back to the old version first, then drains the new ones.
import type { RolloutDecision, RolloutStatus } from '../../common/rollout.js';
import type { RolloutHost } from './runner-host.js';

/** Records a decision (decisions.ts). */
type Decide = (kind: RolloutDecision['kind'], message: string) => void;

/** The new version serves all traffic from now on; the old version's replicas drain. */
export async function completeRollout(h: RolloutHost, s: RolloutStatus, decide: Decide): Promise<void> {
  h.adopt(s.toVersion);
  h.changeVersion(s.fromVersion, 0, Infinity);
  s.weights = { [s.toVersion]: 100 };
  delete s.routed;
  await h.setWeights(undefined);
  decide('completed', `version ${s.toVersion} serves all traffic; the replicas of version ` + `${s.fromVersion} drain`);
}

/** The old version serves all traffic again, with at least `original` replicas; the new version's drain. */
export async function rollBack(
  h: RolloutHost,
  s: RolloutStatus,
  why: string,
  original: number,
  decide: Decide,
): Promise<void> {
  s.weights = { [s.fromVersion]: 100, [s.toVersion]: 0 };
  delete s.routed;
  decide('rollback', `rolling back: ${why}`);
  // Traffic back to the old version first (acknowledged by the gateway), then the new replicas drain.
  await h.setWeights(s.weights);
  h.changeVersion(s.toVersion, 0, Infinity);
  if (h.desired() < original) h.setReplicas(original);
  s.weights = { [s.fromVersion]: 100 };
  await h.setWeights(undefined);
  decide(
    'rolled-back',
    `version ${s.fromVersion} serves all traffic; the replicas of version ` + `${s.toVersion} drain`,
  );
}
