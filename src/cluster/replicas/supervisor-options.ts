// What the replica supervisor is given (control plane): what is in force, the launcher, the hosts, how a
// replica is started, and the callbacks by which the controller hears of output, events and set changes.
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ChildLaunch } from '../launchers/index.js';
import type { ClusterEvent } from '../events.js';
import type { InForce } from '../in-force.js';
import type { Launcher } from '../launchers/index.js';
import type { HostCapacity } from '../placement/index.js';

export interface SupervisorOptions {
  /** The profile and model version in force: read at each use, never copied. */
  inForce: InForce;
  launcher: Launcher;
  clock: Clock;
  /** The hosts replicas may be placed on now (those that are up). */
  hosts: HostCapacity[] | (() => HostCapacity[]);
  oversubscribe: boolean;
  /** How to start the replica with this id where placement put it. */
  replicaLaunch(id: string, placed: { host?: string; gpus?: number[] }, modelVersion: number): ChildLaunch;
  /** The cluster token probes and scrapes carry. */
  authToken?: string;
  /** Hosts that are down now, with why: named in a pending replica's reason. */
  downHosts?(): string[];
  /** Why a replica of `host` that ended is the host's doing (it is down or not prepared again), or undefined. */
  hostFault?(host: string | undefined): string | undefined;
  log: Logger;
  /** Raw output lines of a replica, for its log file. */
  onOutput(id: string, line: string): void;
  /** The replica set the gateway should see has changed; resolves once the gateway routes by it. */
  onSetChange(): Promise<void>;
  onEvent(event: ClusterEvent): void;
}
