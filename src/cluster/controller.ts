// The controller (control plane): `startCluster` places and starts replicas and the gateway,
// supervises them, autoscales, serves the admin API and keeps the state directory. `serve up`
// and `serve demo` call it; the returned handle stops everything cleanly.
import path from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { resolveModel } from '../model/registry.js';
import type { Profile } from '../profile/types.js';
import { startAdminServer } from './admin-server.js';
import type { ClusterStatus, ScaleResult } from '../common/cluster-status.js';
import { AutoscaleLoop } from './autoscale-loop.js';
import { defaultCliEntry, gatewayLaunch } from './child-args.js';
import { newClusterToken } from './cluster-token.js';
import { HostSet } from './hosts/host-set.js';
import { HostLauncher } from './launchers/host-launcher.js';
import { placedReplicaLaunch } from './placed-launch.js';
import { ControllerMonitoring } from './controller-monitoring.js';
import { buildStatus, stateFileOf } from './controller-status.js';
import type { ClusterEvent } from './events.js';
import { GatewayLink } from './gateway-link.js';
import { getText } from './http-probe.js';
import { scheduleRunnerFor } from './profile-switch.js';
import { SwitchHold } from './switch-hold.js';
import type { ScheduleRunner } from './schedule-runner.js';
import { LocalLauncher } from './local-launcher.js';
import { ControllerFiles } from './controller-files.js';
import { checkSocketPath, claimStateDir, releaseStateDir, statePaths, writeStateFile, type StatePaths } from './state-dir.js';
import { Supervisor } from './supervisor.js';
import { scaleTo, unpin, type ScaleParts } from './cluster-scale.js';
import { reconfigure } from './reconfigure.js';
import { newRolloutRunner, type RolloutRunner } from './rollout-host.js';
import { interrupted, waitClusterReady } from './startup.js';
import type { StartClusterOptions, ClusterHandle } from './cluster-options.js';
import { JournalWriter } from './journal-writer.js';

export type { ClusterHandle, ClusterSchedule, StartClusterOptions } from './cluster-options.js';

/**
 * Starts a cluster for `profile` and resolves once the gateway listens and every placed replica
 * is ready or has failed. Throws UserError (leaving nothing running) if the state directory's
 * path is too long, the model is missing or broken, another cluster owns the state directory,
 * the gateway does not start, or no replica became ready.
 */
export async function startCluster(profile: Profile, opts: StartClusterOptions): Promise<ClusterHandle> {
  const paths = statePaths(opts.stateDir);
  // Checks that need nothing started come first, so a failure leaves nothing behind.
  checkSocketPath(paths);
  const registry = path.resolve(opts.registryOverride ?? profile.model.registry);
  const model = await resolveModel(registry, `${profile.model.name}@${profile.model.version}`);
  claimStateDir(paths);
  let c: Controller;
  try {
    c = new Controller(profile, opts, paths, registry, model.version, model.dir);
  } catch (err) {
    releaseStateDir(paths);
    throw err;
  }
  await c.start();
  return { gatewayUrl: c.gatewayUrl, status: () => c.status(), scale: (n, f) => c.scale(n, f), scaleAuto: () => c.scaleAuto(), stop: () => c.stop(), stopped: c.stopped };
}

/** One running cluster: wires the gateway link, the supervisor, the autoscaler and the admin API. */
class Controller {
  gatewayUrl = '';
  readonly stopped: Promise<void>;
  private readonly clock: Clock;
  private readonly files: ControllerFiles; // logs, state.json, targets: a full disk is reported and retried
  private readonly log: Logger;
  private readonly gateway: GatewayLink;
  private readonly supervisor: Supervisor;
  private readonly autoscaling: AutoscaleLoop;
  private readonly rollout: RolloutRunner;
  private readonly scheduleRunner: ScheduleRunner | undefined;
  private readonly monitoring: ControllerMonitoring;
  private readonly journal: JournalWriter;
  private readonly startedAtMs: number;
  private readonly startedAt = new Date().toISOString();
  private phase: ClusterStatus['phase'] = 'starting';
  private closeAdmin: (() => Promise<void>) | undefined;
  /** The hosts, connected in start(); the replicas' token. */
  private hosts: HostSet | undefined;
  private readonly token = newClusterToken();
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;

  constructor(
    /** The profile in force; a schedule switch replaces it (new replicas are launched with it). */
    private profile: Profile,
    private readonly opts: StartClusterOptions,
    private readonly paths: StatePaths,
    registry: string,
    private modelVersion: number,
    private readonly modelDir: string,
  ) {
    const clock = (this.clock = opts.clock ?? systemClock);
    this.startedAtMs = clock.nowMs();
    this.stopped = new Promise<void>((r) => (this.resolveStopped = r));
    const log = (this.log = (this.files = new ControllerFiles(paths.logsDir, clock)).log);
    this.monitoring = new ControllerMonitoring(profile, paths.sdFile, this.files, () => this.status());
    const local = opts.launcher ?? new LocalLauncher(clock);
    const launcher = new HostLauncher(local, (name) => this.hosts?.remoteLauncher(name));
    const cliEntry = opts.cliEntry ?? defaultCliEntry;
    const onEvent = (e: ClusterEvent) => this.emit(e);
    const gatewayMetrics = (timeoutMs: number) => (this.gateway.state === 'ready' ? getText(`${this.gatewayUrl}/metrics`, timeoutMs) : Promise.resolve(undefined));
    this.gateway = new GatewayLink({
      launcher, clock, log, onEvent, restartPolicy: profile.restart, startupTimeoutMs: profile.health.startupTimeoutMs,
      drainTimeoutMs: profile.drainTimeoutMs,
      launch: (port) => gatewayLaunch(profile, { cliEntry, port, replicaToken: this.token }),
      onOutput: (line) => this.files.write('gateway', line),
      onUrl: (url) => {
        this.gatewayUrl = url;
        this.writeState();
        this.monitoring.targetsChanged({ gatewayUrl: url });
      },
    });
    this.supervisor = new Supervisor({
      profile, launcher, clock, log, onEvent, hosts: () => this.hosts?.capacities() ?? [], oversubscribe: opts.oversubscribe ?? false,
      authToken: this.token, downHosts: () => this.hosts?.downHosts() ?? [], modelVersion: () => this.modelVersion,
      replicaLaunch: (id, placed, version) => placedReplicaLaunch(this.profile, {
        cliEntry, remoteCliEntry: opts.remoteCliEntry, modelVersion, registry, token: this.token, remotePlace: (h) => this.hosts?.remotePlace(h),
      }, id, placed, version),
      onOutput: (id, line) => this.files.write(id, line),
      onSetChange: () => (this.monitoring.targetsChanged({ replicas: this.supervisor.endpoints() }), this.gateway.update(this.supervisor.endpoints(), this.supervisor.takeLost())),
    });
    const hold = new SwitchHold(() => this.rollout.active); // schedule prewarms and switches wait for a rollout's end
    this.rollout = newRolloutRunner({ clock, emit: onEvent, supervisor: this.supervisor, gateway: this.gateway, registry, gatewayMetrics,
      profile: () => this.profile, modelVersion: () => this.modelVersion, adopt: (v) => ((this.modelVersion = v), this.writeState()), ended: () => hold.release() });
    this.journal = new JournalWriter(paths, clock, log, { profile: () => opts.schedule?.name ?? this.profile.name, status: () => this.status(), rollout: () => this.rollout.status() }, this.startedAt);
    this.autoscaling = new AutoscaleLoop(profile, { clock, wallNowMs: opts.wallNowMs, target: this.rollout.holding(this.monitoring.counting(this.supervisor)), log, emit: onEvent, gatewayMetrics });
    this.scheduleRunner = opts.schedule && scheduleRunnerFor(opts.schedule, clock, opts.wallNowMs, {
      supervisor: this.supervisor, autoscaling: this.autoscaling, emit: onEvent, log, hold,
      takeProfile: (to) => {
        if (this.stopping) return undefined;
        const from = this.profile;
        this.profile = to;
        this.writeState();
        return from;
      },
    });
  }

  /** Starts everything and waits for readiness; on any failure stops what it started and throws. */
  async start(): Promise<void> {
    const { signal } = this.opts;
    const onAbort = () => void this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw interrupted();
      this.journal.start((e) => this.emit(e), this.modelVersion);
      const closeAdmin = await startAdminServer(this.paths.adminSocket, {
        status: () => this.status(), scale: (n, f) => (this.rollout.guard('serve scale'), this.scale(n, f)), scaleAuto: () => this.scaleAuto(), down: () => void this.stop(), rollout: this.rollout,
        reconfigure: (settings) => (this.rollout.guard('a reconfiguration'), reconfigure({ profile: this.profile, setProfile: (p) => (this.profile = p), supervisor: this.supervisor, emit: (e) => this.emit(e) }, settings)),
      });
      // Aborted while the socket was opening: stop() has run already and could not close it.
      await this.unlessStopped(closeAdmin);
      this.closeAdmin = closeAdmin;
      const hosts = await HostSet.open({
        profile: this.profile, stateDir: this.paths.dir, model: { name: this.profile.model.name, version: this.modelVersion, dir: this.modelDir },
        clock: this.clock, log: this.log, onEvent: (e) => this.emit(e), onChange: () => this.supervisor.placePending(),
        trustCommand: (name) => `serve hosts trust ${name}${this.profile.sourcePath ? ` --profile ${this.profile.sourcePath}` : ''}`,
      });
      await this.unlessStopped(() => hosts.close());
      this.hosts = hosts;
      hosts.startGpuReadings();
      await this.monitoring.start();
      this.gateway.start();
      this.supervisor.setReplicas(this.profile.replicas.initial);
      this.supervisor.startProbing();
      await waitClusterReady(this.gateway, this.supervisor, this.profile, () => this.stopping !== undefined);
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
      profile: this.profile, phase: this.phase, modelVersion: this.modelVersion, gatewayUrl: this.gatewayUrl, gateway: this.gateway,
      supervisor: this.supervisor, stateDir: this.paths.dir, startedAt: this.startedAt, uptimeMs: this.clock.nowMs() - this.startedAtMs,
      autoscaling: this.autoscaling, schedule: this.opts.schedule, scheduleRunner: this.scheduleRunner, hosts: this.hosts?.status(), controllerMetricsUrl: this.monitoring.metricsUrl,
      rollout: this.rollout.status(), previousController: this.journal.previous, writeFailures: this.files.failures(),
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
      profile: this.profile, schedule: this.opts.schedule?.name, supervisor: this.supervisor, autoscaling: this.autoscaling, emit: (e) => this.emit(e),
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
        await this.gateway.stop().catch((err) => this.log.error('stopping the gateway failed', { error: errorMessage(err) }));
        await this.supervisor.stopAll().catch((err) => this.log.error('stopping the replicas failed', { error: errorMessage(err) }));
        await this.hosts?.close().catch((err) => this.log.error('closing the SSH connections failed', { error: errorMessage(err) }));
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

  private emit(e: ClusterEvent): void {
    this.log[e.level](e.message, { kind: e.kind, replica: e.id });
    this.journal?.update(); // the children and the rollout change with events
    this.monitoring.event(e);
    this.opts.onEvent?.(e);
  }

  private writeState(): void {
    const { profile, startedAt, gatewayUrl, modelVersion, paths } = this;
    this.files.attempt(paths.stateFile, () => writeStateFile(paths, stateFileOf({ profile, schedule: this.opts.schedule?.name, startedAt, gatewayUrl, modelVersion, adminSocket: paths.adminSocket, controllerMetricsUrl: this.monitoring.metricsUrl })));
  }
}
