// How the controller's parts are built and connected (control plane): the gateway link, the replica
// supervisor, the rollout runner, the journal, the autoscaling loop and the schedule runner.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { ClusterStatus } from '../../common/cluster-status.js';
import type { Logger } from '../../common/log.js';
import { AutoscaleLoop } from '../autoscale/index.js';
import { defaultCliEntry, gatewayLaunch } from '../launchers/index.js';
import type { StartClusterOptions } from './options.js';
import type { ControllerFiles } from '../state/index.js';
import type { ControllerMonitoring } from '../monitoring/index.js';
import type { ClusterEvent } from '../events.js';
import type { InForce } from '../in-force.js';
import { GatewayLink } from './gateway-link.js';
import { startOrAdopt, type Adoption } from './adopt-start.js';
import type { HostSet } from '../hosts/index.js';
import { getText } from '../replicas/index.js';
import { JournalWriter } from '../state/index.js';
import { HostLauncher } from '../launchers/index.js';
import { LocalLauncher, type ChildDirs } from '../launchers/index.js';
import { placedReplicaLaunch } from '../launchers/index.js';
import { scheduleRunnerFor } from '../schedule/index.js';
import { newRolloutRunner, type RolloutRunner } from './rollout-host.js';
import type { ScheduleRunner } from '../schedule/index.js';
import type { StatePaths } from '../state/index.js';
import { Supervisor } from '../replicas/index.js';
import { SwitchHold } from '../schedule/index.js';

/** Where local children keep their control sockets (<stateDir>/run/) and logs. */
export function childDirs(paths: StatePaths): ChildDirs {
  return { runDir: path.join(paths.dir, 'run'), logsDir: paths.logsDir };
}

/**
 * The name of this cluster's run directory on its SSH hosts ($HOME/.serve/run/<key> there): 12 hex
 * of a hash of this machine's name and the state directory, the same for every controller on it.
 */
export function remoteRunKey(paths: StatePaths): string {
  return createHash('sha256')
    .update(`${os.hostname()}\0${path.resolve(paths.dir)}`)
    .digest('hex')
    .slice(0, 12);
}

/** What the parts read and change of the controller when they act (see running-cluster.ts). */
export interface ControllerCore {
  readonly opts: StartClusterOptions;
  readonly paths: StatePaths;
  readonly clock: Clock;
  readonly log: Logger;
  readonly files: ControllerFiles;
  readonly monitoring: ControllerMonitoring;
  /** The replicas' cluster token. */
  readonly token: string;
  readonly startedAt: string;
  /** The children of a dead controller to adopt (adoption.ts), with this machine's launcher. */
  readonly adoption?: Adoption;
  /** What is in force (profile, model version, schedule): every part reads it, none keeps a copy. */
  readonly inForce: InForce;
  gatewayUrl: string;
  /** The hosts, once connected. */
  readonly hosts: HostSet | undefined;
  /** Set once a stop began. */
  readonly stopping: Promise<void> | undefined;
  emit(e: ClusterEvent): void;
  writeState(): void;
  status(): ClusterStatus;
}

/** The controller's parts, connected to each other and to it. */
export interface ControllerParts {
  /** Starts the gateway and the replicas, or adopts what `c.adoption` trusts and starts the rest. */
  startChildren: () => Promise<void>;
  gateway: GatewayLink;
  supervisor: Supervisor;
  rollout: RolloutRunner;
  journal: JournalWriter;
  autoscaling: AutoscaleLoop;
  scheduleRunner: ScheduleRunner | undefined;
}

/** Builds the parts of `c` (`registry`: the model registry on this machine). */
export function wireController(c: ControllerCore, registry: string): ControllerParts {
  // Every part reads the profile and model version from `inForce` when it acts.
  const { inForce, opts, paths, clock, log } = c;
  const own = opts.launcher ? undefined : new LocalLauncher(clock, childDirs(paths));
  const local = opts.launcher ?? own!;
  // With a state directory's run/ (no injected launcher), children on SSH hosts outlive the controller too.
  const runDir = childDirs(paths).runDir;
  const detached = own ? { runKey: remoteRunKey(paths), runDir } : undefined;
  const connection = (name: string) => c.hosts?.remoteConnection(name);
  const launcher = new HostLauncher(local, connection, clock, detached);
  const cliEntry = opts.cliEntry ?? defaultCliEntry;
  const onEvent = (e: ClusterEvent) => c.emit(e);
  const gatewayMetrics = (timeoutMs: number) =>
    gateway.state === 'ready' ? getText(`${c.gatewayUrl}/metrics`, timeoutMs) : Promise.resolve(undefined);
  const gateway = new GatewayLink({
    launcher,
    clock,
    log,
    onEvent,
    inForce,
    launch: (port) => gatewayLaunch(inForce.profile, { cliEntry, port, replicaToken: c.token }),
    onOutput: (line) => c.files.write('gateway', line),
    onUrl: (url) => {
      c.gatewayUrl = url;
      c.writeState();
      c.monitoring.targetsChanged({ gatewayUrl: url });
    },
  });
  const supervisor: Supervisor = new Supervisor({
    inForce,
    launcher,
    clock,
    log,
    onEvent,
    hosts: () => c.hosts?.capacities() ?? [],
    oversubscribe: opts.oversubscribe ?? false,
    authToken: c.token,
    downHosts: () => c.hosts?.downHosts() ?? [],
    hostFault: (host) => c.hosts?.hostFault(host),
    replicaLaunch: (id, placed, version) =>
      placedReplicaLaunch(
        inForce.profile,
        {
          cliEntry,
          remoteCliEntry: opts.remoteCliEntry,
          modelVersion: inForce.modelVersion,
          registry,
          token: c.token,
          remoteDetached: detached !== undefined,
          remotePlace: (h) => c.hosts?.remotePlace(h),
        },
        id,
        placed,
        version,
      ),
    onOutput: (id, line) => c.files.write(id, line),
    onSetChange: () => (
      c.monitoring.targetsChanged({ replicas: supervisor.endpoints() }),
      gateway.update(supervisor.endpoints(), supervisor.takeLost())
    ),
  });
  const hold = new SwitchHold(() => rollout.active); // schedule prewarms and switches wait for a rollout's end
  const rollout = newRolloutRunner({
    clock,
    emit: onEvent,
    supervisor,
    gateway,
    registry,
    token: c.token,
    gatewayMetrics,
    inForce,
    adopted: () => c.writeState(),
    ended: () => hold.release(),
  });
  const journal = new JournalWriter(
    paths,
    clock,
    log,
    {
      profile: () => inForce.name,
      status: () => c.status(),
      rollout: () => rollout.status(),
      adoptable: (id) => (id === 'gateway' ? gateway.adoptable() : supervisor.adoptable(id)),
      sshHost: (name) => connection(name)?.connection.reachAgain(),
      token: () => c.token,
    },
    c.startedAt,
  );
  const autoscaling = new AutoscaleLoop(inForce, {
    clock,
    wallNowMs: opts.wallNowMs,
    target: rollout.holding(c.monitoring.counting(supervisor)),
    log,
    emit: onEvent,
    gatewayMetrics,
  });
  const scheduleRunner =
    opts.schedule &&
    scheduleRunnerFor(opts.schedule, clock, opts.wallNowMs, {
      supervisor,
      autoscaling,
      emit: onEvent,
      log,
      hold,
      takeProfile: (to) => {
        if (c.stopping) return undefined;
        const from = inForce.setProfile(to);
        c.writeState();
        return from;
      },
    });
  const startChildren = () =>
    startOrAdopt({
      adoption: c.adoption,
      launcher: own,
      remote: { connection, launcher, runDir },
      gateway,
      supervisor,
      clock,
      profile: inForce.profile,
      emit: onEvent,
    });
  return { startChildren, gateway, supervisor, rollout, journal, autoscaling, scheduleRunner };
}
