// The controller's side of a rollout (control plane): builds the RolloutRunner's host from the
// supervisor, the gateway link and the registry, so the controller only wires it.
import type { Clock } from '../../common/clock.js';
import type { Profile } from '../../profile/types.js';
import { resolveModel } from '../../model/registry.js';
import type { ClusterEvent } from '../events.js';
import type { GatewayLink } from './gateway-link.js';
import { RolloutRunner } from '../rollout/index.js';

export type { RolloutRunner } from '../rollout/index.js';
import type { Supervisor } from '../replicas/index.js';

export interface RolloutParts {
  clock: Clock;
  emit(e: ClusterEvent): void;
  supervisor: Supervisor;
  gateway: GatewayLink;
  registry: string;
  profile(): Profile;
  modelVersion(): number;
  gatewayMetrics(timeoutMs: number): Promise<string | undefined>;
  /** The rollout completed: the cluster's model version is now `version`. */
  adopt(version: number): void;
  /** The rollout ended, either way. */
  ended(): void;
}

export function newRolloutRunner(p: RolloutParts): RolloutRunner {
  const { supervisor } = p;
  return new RolloutRunner({
    clock: p.clock,
    emit: (e) => p.emit(e),
    current: () => ({ model: p.profile().model.name, version: p.modelVersion(), slo: p.profile().slo }),
    checkModel: async (model, version) => void (await resolveModel(p.registry, `${model}@${version}`)),
    replicas: () => supervisor.status(),
    desired: () => supervisor.desired,
    setReplicas: (n) => supervisor.setReplicas(n),
    changeVersion: (version, add, retire) => supervisor.changeVersion(version, add, retire),
    setWeights: (w) => p.gateway.setWeights(w),
    gatewayMetrics: () => p.gatewayMetrics(2000),
    adopt: (v) => p.adopt(v),
    ended: () => p.ended(),
  });
}
