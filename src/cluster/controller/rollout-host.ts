// The controller's side of a rollout (control plane): builds the RolloutRunner's host from the
// supervisor, the gateway link and the registry, so the controller only wires it.
import http from 'node:http';
import type { Clock } from '../../common/clock.js';
import { resolveModel } from '../../model/registry.js';
import type { ClusterEvent } from '../events.js';
import type { InForce } from '../in-force.js';
import type { GatewayLink } from './gateway-link.js';
import {
  RolloutRunner,
  WARM_REQUEST_TIMEOUT_MS,
  warmReplica,
  warmupBody,
  warmupLine,
  type WarmResult,
} from '../rollout/index.js';
import { getText, httpPostJson } from '../replicas/index.js';

export type { RolloutRunner } from '../rollout/index.js';
import type { Supervisor } from '../replicas/index.js';

export interface RolloutParts {
  clock: Clock;
  emit(e: ClusterEvent): void;
  supervisor: Supervisor;
  gateway: GatewayLink;
  registry: string;
  /** The cluster token replicas ask of the controller's own requests (the warmup's). */
  token: string;
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
      onInconclusive: p.inForce.profile.rollout?.onInconclusive,
    }),
    checkModel: async (model, version) => void (await resolveModel(p.registry, `${model}@${version}`)),
    replicas: () => supervisor.status(),
    replicasChanged: () => supervisor.whenChanged(),
    desired: () => supervisor.desired,
    setReplicas: (n) => supervisor.setReplicas(n),
    changeVersion: (version, add, retire) => supervisor.changeVersion(version, add, retire),
    setWeights: (w, held) => p.gateway.setWeights(w, held),
    gatewayMetrics: () => p.gatewayMetrics(2000),
    warm: (version, ids, stop) => warmVersion(p, version, ids, stop),
    adopt: (v) => (p.inForce.adoptVersion(v), p.adopted()),
    ended: () => p.ended(),
  });
}

/**
 * Warms the ready replicas of `version` (those of `ids` only, when given: held replicas that rejoin
 * routing), side by side, each with its own keep-alive connection, until `stop` aborts at the latest.
 */
async function warmVersion(
  p: RolloutParts,
  version: number,
  ids?: readonly string[],
  stop?: AbortSignal,
): Promise<string> {
  const model = p.inForce.profile.model.name;
  const ready = p.supervisor
    .status()
    .filter((r) => r.version === version && r.state === 'ready' && r.url && (!ids || ids.includes(r.id)));
  const path = `/v2/models/${encodeURIComponent(model)}/versions/${version}`;
  const first = ready[0];
  const meta = first ? await getText(`${first.url}${path}`, WARM_REQUEST_TIMEOUT_MS, p.token) : undefined;
  const body = meta === undefined ? undefined : warmupBody(meta);
  if (body === undefined)
    return `version ${version}: no warmup (the model's inputs could not be read or are not numeric)`;
  const results: WarmResult[] = await Promise.all(
    ready.map(async (r) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        return await warmReplica(
          {
            id: r.id,
            infer: () => httpPostJson(`${r.url}${path}/infer`, body, WARM_REQUEST_TIMEOUT_MS, agent, p.token),
          },
          p.clock,
          undefined,
          stop,
        );
      } finally {
        agent.destroy();
      }
    }),
  );
  return warmupLine(version, results);
}
