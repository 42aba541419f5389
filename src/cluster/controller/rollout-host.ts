// The controller's side of a rollout (control plane): builds the RolloutRunner's host from the
// supervisor, the gateway link and the registry, so the controller only wires it.
import type { Clock } from '../../common/clock.js';
import { resolveModel } from '../../model/registry.js';
import type { ClusterEvent } from '../events.js';
import type { InForce } from '../in-force.js';
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
  /** The profile and model version in force; a completed rollout adopts its version there. */
  inForce: InForce;
  gatewayMetrics(timeoutMs: number): Promise<string | undefined>;
  /** The rollout completed and its version is in force (state.json follows). */
  adopted(): void;
  /** The rollout ended, either way. */
  ended(): void;
}

export function newRolloutRunner(p: RolloutParts): RolloutRunner {
  const { supervisor } = p;
  return new RolloutRunner({
    clock: p.clock,
    emit: (e) => p.emit(e),
    current: () => ({
      model: p.inForce.profile.model.name,
      version: p.inForce.modelVersion,
      slo: p.inForce.profile.slo,
    }),
    checkModel: async (model, version) => void (await resolveModel(p.registry, `${model}@${version}`)),
    replicas: () => supervisor.status(),
    replicasChanged: () => supervisor.whenChanged(),
    desired: () => supervisor.desired,
    setReplicas: (n) => supervisor.setReplicas(n),
    changeVersion: (version, add, retire) => supervisor.changeVersion(version, add, retire),
    setWeights: (w) => p.gateway.setWeights(w),
    gatewayMetrics: () => p.gatewayMetrics(2000),
    adopt: (v) => (p.inForce.adoptVersion(v), p.adopted()),
    ended: () => p.ended(),
  });
}
