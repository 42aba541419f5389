// What the rollout runner needs of the controller (control plane): the seam that controller/rollout-host.ts
// fills from the supervisor, the gateway link and the registry.
import type { Clock } from '../../common/clock.js';
import type { ReplicaStatus } from '../../common/cluster-status.js';
import type { SloTargets } from '../../common/wire.js';
import type { ClusterEvent } from '../events.js';

/** What the runner needs of the controller. */
export interface RolloutHost {
  clock: Clock;
  emit(e: ClusterEvent): void;
  /** The model name and version serving all traffic now, the profile's targets and its `rollout.on_inconclusive`. */
  current(): { model: string; version: number; slo: SloTargets; onInconclusive?: 'rollback' | 'proceed' };
  /** Throws UserError when `version` of the model is not in the registry or is broken. */
  checkModel(model: string, version: number): Promise<void>;
  replicas(): ReplicaStatus[];
  /** Resolves at the next change of any replica (its state, the set). */
  replicasChanged(): Promise<void>;
  /** Non-draining replicas the supervisor aims for. */
  desired(): number;
  setReplicas(n: number): void;
  /** Adds `add` replicas of `version`, drains up to `retire` of it. */
  changeVersion(version: number, add: number, retire?: number): void;
  /**
   * Sets each version's traffic weight (undefined: none) and the replicas held out of routing (a
   * step's new replicas beyond its canary scale, canary-scale.ts: started and warm, sent no
   * requests); resolves once the gateway routes by them. Each call replaces both.
   */
  setWeights(weights: Record<string, number> | undefined, held?: readonly string[]): Promise<void>;
  gatewayMetrics(): Promise<string | undefined>;
  /**
   * Warms the ready replicas of `version` (only those of `ids`, when given) with synthetic requests
   * sent to them directly, never through the gateway (warmup.ts), sending no more once `stop`
   * aborts; resolves with what it did, one line.
   */
  warm?(version: number, ids?: readonly string[], stop?: AbortSignal): Promise<string>;
  /** The rollout completed: new replicas (restarts, scale-ups) run `version` from now on. */
  adopt(version: number): void;
  /** The rollout ended (completed or rolled back): what waited for it may go on. */
  ended?(): void;
}
