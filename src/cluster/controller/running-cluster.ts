// One running cluster (control plane): the controller's state (profile in force, model version, hosts,
// phase) and its life: start, status, scale, stop. Its parts are built in wiring.ts.
import { systemClock, type Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Profile } from '../../profile/types.js';
import { startAdminServer } from './admin-server.js';
import type { ClusterStatus, ScaleResult } from '../../common/cluster-status.js';
import type { AutoscaleLoop } from '../autoscale/index.js';
import { newClusterToken } from './token.js';
import { HostSet } from '../hosts/index.js';
import { ControllerMonitoring } from '../monitoring/index.js';
import { buildStatus, stateFileOf } from './status.js';
import type { ClusterEvent } from '../events.js';
import { InForce } from '../in-force.js';
import type { GatewayLink } from './gateway-link.js';
import { restartGateway } from './gateway-serving.js';
import type { ScheduleRunner } from '../schedule/index.js';
import { ControllerFiles } from '../state/index.js';
import { releaseStateDir, writeStateFile, type StatePaths } from '../state/index.js';
import type { Supervisor } from '../replicas/index.js';
import { scaleTo, unpin, type ScaleParts } from './scale.js';
import { reconfigure } from '../replicas/index.js';
import type { RolloutRunner } from './rollout-host.js';
import { interrupted, waitClusterReady } from './startup.js';
import type { StartClusterOptions } from './options.js';
import type { JournalWriter } from '../state/index.js';
import { wireController, type ControllerCore } from './wiring.js';

/** One running cluster: starts its parts, the admin API and the hosts in order, and stops them. */
export class Controller implements ControllerCore {
  gatewayUrl = '';
  readonly stopped: Promise<void>;
  readonly clock: Clock;
  readonly files: ControllerFiles; // logs, state.json, targets: a full disk is reported and retried
  readonly log: Logger;
  private readonly gateway: GatewayLink;
  private readonly supervisor: Supervisor;
  private readonly autoscaling: AutoscaleLoop;
  private readonly rollout: RolloutRunner;
  private readonly scheduleRunner: ScheduleRunner | undefined;
  readonly monitoring: ControllerMonitoring;
  private readonly journal: JournalWriter;
  private readonly startedAtMs: number;
  readonly startedAt = new Date().toISOString();
  private phase: ClusterStatus['phase'] = 'starting';
  private closeAdmin: (() => Promise<void>) | undefined;
  /** The hosts, connected in start(); the replicas' token. */
  hosts: HostSet | undefined;
  readonly token: string;
  private readonly startChildren: () => Promise<void>;
  stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;

  /** What is in force: the profile (a schedule switch or reconfiguration replaces it), the model version. */
  readonly inForce: InForce;

  constructor(
    profile: Profile,
    readonly opts: StartClusterOptions,
    readonly paths: StatePaths,
    registry: string,
    modelVersion: number,
    private readonly modelDir: string,
    readonly adoption?: ControllerCore['adoption'],
  ) {
    this.token = adoption?.plan.token || newClusterToken();
    this.inForce = new InForce(profile, modelVersion, opts.schedule?.name);
    const clock = (this.clock = opts.clock ?? systemClock);
    this.startedAtMs = clock.nowMs();
    this.stopped = new Promise<void>((r) => (this.resolveStopped = r));
    this.log = (this.files = new ControllerFiles(paths.logsDir, clock)).log;
    this.monitoring = new ControllerMonitoring(this.inForce, paths.sdFile, this.files, () => this.status());
    const parts = wireController(this, registry);
    this.startChildren = parts.startChildren;
    this.gateway = parts.gateway;
    this.supervisor = parts.supervisor;
    this.rollout = parts.rollout;
    this.journal = parts.journal;
    this.autoscaling = parts.autoscaling;
    this.scheduleRunner = parts.scheduleRunner;
  }

  /** Starts everything and waits for readiness; on any failure stops what it started and throws. */
  async start(): Promise<void> {
    const { signal } = this.opts;
    const onAbort = () => void this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw interrupted();
      this.journal.start((e) => this.emit(e), this.inForce.modelVersion);
      const closeAdmin = await startAdminServer(this.paths.adminSocket, {
        status: () => this.status(),
        scale: (n, f) => (this.rollout.guard('serve scale'), this.scale(n, f)),
        scaleAuto: () => this.scaleAuto(),
        down: () => void this.stop(),
        restartGateway: () => restartGateway(this.gateway),
        rollout: this.rollout,
        reconfigure: (settings) => (
          this.rollout.guard('a reconfiguration'),
          reconfigure(
            {
              profile: this.inForce.profile,
              setProfile: (p) => this.inForce.setProfile(p),
              supervisor: this.supervisor,
              emit: (e) => this.emit(e),
            },
            settings,
          )
        ),
      });
      // Aborted while the socket was opening: stop() has run already and could not close it.
      await this.unlessStopped(closeAdmin);
      this.closeAdmin = closeAdmin;
      const hosts = await HostSet.open({
        profile: this.inForce.profile,
        stateDir: this.paths.dir,
        model: { name: this.inForce.profile.model.name, version: this.inForce.modelVersion, dir: this.modelDir },
        clock: this.clock,
        log: this.log,
        onEvent: (e) => this.emit(e),
        onChange: () => this.supervisor.placePending(),
        trustCommand: (name) =>
          `serve hosts trust ${name}` +
          `${this.inForce.profile.sourcePath ? ` --profile ${this.inForce.profile.sourcePath}` : ''}`,
      });
      await this.unlessStopped(() => hosts.close());
      this.hosts = hosts;
      hosts.startGpuReadings();
      await this.monitoring.start();
      await this.startChildren();
      this.supervisor.startProbing();
      await waitClusterReady(this.gateway, this.supervisor, this.inForce.profile, () => this.stopping !== undefined);
    } catch (err) {
      await this.stop();
      throw signal?.aborted ? interrupted() : err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    this.phase = 'running';
    this.log.info('cluster ready', { gatewayUrl: this.gatewayUrl, replicas: this.supervisor.desired });
    this.autoscaling.start();
    this.scheduleRunner?.start();
  }

  status(): ClusterStatus {
    return buildStatus({
      profile: this.inForce.profile,
      phase: this.phase,
      modelVersion: this.inForce.modelVersion,
      gatewayUrl: this.gatewayUrl,
      gateway: this.gateway,
      supervisor: this.supervisor,
      stateDir: this.paths.dir,
      startedAt: this.startedAt,
      uptimeMs: this.clock.nowMs() - this.startedAtMs,
      autoscaling: this.autoscaling,
      schedule: this.opts.schedule,
      scheduleRunner: this.scheduleRunner,
      hosts: this.hosts?.status(),
      controllerMetricsUrl: this.monitoring.metricsUrl,
      rollout: this.rollout.status(),
      previousController: this.journal.previous,
      writeFailures: this.files.failures(),
    });
  }

  async scale(n: number, force = false): Promise<ScaleResult> {
    return scaleTo(this.scaleParts(), n, force);
  }

  async scaleAuto(): Promise<ScaleResult> {
    return unpin(this.scaleParts());
  }

  private scaleParts(): ScaleParts {
    return {
      profile: this.inForce.profile,
      schedule: this.inForce.scheduleName,
      supervisor: this.supervisor,
      autoscaling: this.autoscaling,
      emit: (e) => this.emit(e),
      onScaled: (from, to) => this.monitoring.scaled(from, to, 'manual'),
    };
  }

  /** Drains the gateway, then the replicas, then releases the state directory. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.phase = 'stopping';
      this.autoscaling.stop();
      this.rollout.close();
      this.scheduleRunner?.stop();
      this.emit({ level: 'info', kind: 'stopping', message: 'draining the gateway, then the replicas' });
      try {
        // The gateway first: it finishes what it accepted while the replicas still serve.
        await this.gateway
          .stop()
          .catch((err) => this.log.error('stopping the gateway failed', { error: errorMessage(err) }));
        await this.supervisor
          .stopAll()
          .catch((err) => this.log.error('stopping the replicas failed', { error: errorMessage(err) }));
        await this.hosts
          ?.close()
          .catch((err) => this.log.error('closing the SSH connections failed', { error: errorMessage(err) }));
        await Promise.all([this.closeAdmin?.(), this.monitoring.close()]);
      } finally {
        this.journal.stop(); // whatever failed above, the directory is released and the files closed
        releaseStateDir(this.paths);
        this.log.info('stopped');
        this.files.close();
        this.resolveStopped();
      }
    })();
    return this.stopping;
  }

  /** Closes what was just opened and throws `interrupted()` when a stop began meanwhile. */
  private async unlessStopped(close: () => Promise<void>): Promise<void> {
    if (!this.stopping) return;
    await close();
    throw interrupted();
  }

  emit(e: ClusterEvent): void {
    this.log[e.level](e.message, { kind: e.kind, replica: e.id });
    this.journal?.update(); // the children and the rollout change with events
    this.monitoring.event(e);
    this.opts.onEvent?.(e);
  }

  writeState(): void {
    const { startedAt, gatewayUrl, paths } = this;
    const { profile, modelVersion } = this.inForce;
    this.files.attempt(paths.stateFile, () =>
      writeStateFile(
        paths,
        stateFileOf({
          profile,
          schedule: this.inForce.scheduleName,
          startedAt,
          gatewayUrl,
          modelVersion,
          adminSocket: paths.adminSocket,
          controllerMetricsUrl: this.monitoring.metricsUrl,
        }),
      ),
    );
  }
}
