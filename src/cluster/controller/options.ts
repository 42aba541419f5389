// What starting a cluster takes and gives (control plane): the options of startCluster, a schedule
// as the controller runs it, and the handle of a running cluster.
import type { Clock } from '../../common/clock.js';
import type { ClusterStatus, ScaleResult } from '../../common/cluster-status.js';
import type { ClusterEvent } from '../events.js';
import type { Launcher } from '../launchers/index.js';
import type { ClusterSchedule } from '../schedule/index.js';

export type { ClusterSchedule };

export interface StartClusterOptions {
  /** State directory (pid file, admin socket, state.json, logs); relative to the working directory. */
  stateDir: string;
  /** Place replicas that do not fit anyway (with a warning). */
  oversubscribe?: boolean;
  /** Progress and supervision events, for the CLI to print. */
  onEvent?: (e: ClusterEvent) => void;
  /** Model registry folder to use instead of the profile's. */
  registryOverride?: string;
  /**
   * A schedule profile: `profile` must be the one active now; the controller switches to the others
   * at the schedule's boundaries by itself.
   */
  schedule?: ClusterSchedule;
  /** Seams for tests: how children are started, which CLI they run, the clock, the wall clock. */
  launcher?: Launcher;
  cliEntry?: string;
  /** The CLI entry on SSH hosts (default <workdir>/bin/serve.js there). */
  remoteCliEntry?: string;
  clock?: Clock;
  wallNowMs?: () => number;
  /** Aborting it during startup stops what was started and rejects (exit code 130). */
  signal?: AbortSignal;
}

export interface ClusterHandle {
  /** The public OIP v2 endpoint. */
  gatewayUrl: string;
  status(): ClusterStatus;
  /** Sets and pins the replica count until scaleAuto(); outside the profile's min/max only with `force`. */
  scale(replicas: number, force?: boolean): Promise<ScaleResult>;
  /** Unpins the count: the autoscaler decides again. */
  scaleAuto(): Promise<ScaleResult>;
  /** Drains the gateway, then the replicas, and releases the state directory. Idempotent. */
  stop(): Promise<void>;
  /** Settles once the cluster has stopped, whether by stop() or by the admin API's /down. */
  readonly stopped: Promise<void>;
}
