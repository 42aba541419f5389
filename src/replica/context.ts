// The state a replica's HTTP handlers share (data plane, replica): the served model, its batcher
// once loaded, lifecycle state, limits and metrics.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { Batcher } from './batcher.js';
import type { ClusterTokenCheck } from './cluster-token.js';
import type { ReplicaMetrics } from './metrics.js';
import type { ParseLimits } from './infer-request.js';
import type { ServedModel } from './served-model.js';

/** loading → ready → draining → closed; `failed` when the model could not be loaded. */
export type ReplicaState = 'loading' | 'ready' | 'draining' | 'closed' | 'failed';

export interface ReplicaContext {
  model: ServedModel;
  /** Set once the session is loaded and warm. */
  batcher: Batcher | undefined;
  state: ReplicaState;
  limits: ParseLimits;
  maxBodyBytes: number;
  replicaId: string | undefined;
  /** The digest of the model.onnx bytes loaded (set with the batcher); sent with every infer answer. */
  modelDigest?: string;
  /** Set when the replica has a cluster token: every request but /metrics and health must carry it. */
  tokenCheck?: ClusterTokenCheck;
  metrics: ReplicaMetrics;
  clock: Clock;
  log: Logger;
  /** Infer requests received and not yet answered (reading their body, queued or in a batch). */
  inFlight: number;
  /** Called once when inFlight next reaches 0 (a drain waits for it). */
  idleWaiters: Array<() => void>;
}
