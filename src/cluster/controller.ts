// The controller (control plane): `startCluster` places and starts replicas and the gateway,
// supervises them, autoscales, serves the admin API and keeps the state directory. `serve up`
// and `serve demo` call it; the returned handle stops everything cleanly.
import path from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { createLogger, type Logger } from '../common/log.js';
import { resolveModel } from '../model/registry.js';
import type { Profile } from '../profile/types.js';
import { startAdminServer } from './admin-server.js';
import type { ClusterStatus, ScaleResult } from '../common/cluster-status.js';
import { AutoscaleLoop } from './autoscale-loop.js';
import { localCapacity } from './capacity.js';
import { defaultCliEntry, gatewayLaunch, replicaLaunch } from './child-args.js';
import { ControllerMonitoring } from './controller-monitoring.js';
import { buildStatus } from './controller-status.js';
import type { ClusterEvent } from './events.js';
import { GatewayLink } from './gateway-link.js';
import type { Launcher } from './launcher.js';
import { LocalLauncher } from './local-launcher.js';
import { LogFiles } from './log-files.js';
import { checkSocketPath, claimStateDir, releaseStateDir, statePaths, writeStateFile, type StatePaths } from './state-dir.js';
import { Supervisor } from './supervisor.js';

export interface StartClusterOptions {
  /** State directory (pid file, admin socket, state.json, logs); relative to the working directory. */
  stateDir: string;
  /** Place replicas that do not fit anyway (with a warning). */
  oversubscribe?: boolean;
  /** Progress and supervision events, for the CLI to print. */
  onEvent?: (e: ClusterEvent) => void;
  /** Model registry folder to use instead of the profile's. */
  registryOverride?: string;
  /** Seams for tests: how children are started, which CLI they run, the clock. */
  launcher?: Launcher;
  cliEntry?: string;
  clock?: Clock;
  /** Aborting it during startup stops what was started and rejects (exit code 130). */
  signal?: AbortSignal;
}

export interface ClusterHandle {
  /** The public OIP v2 endpoint. */
  gatewayUrl: string;
  status(): ClusterStatus;
  /** Sets the replica count; outside the profile's min/max only with `force` (which pauses autoscaling). */
  scale(replicas: number, force?: boolean): Promise<ScaleResult>;
  /** Drains the gateway, then the replicas, and releases the state directory. Idempotent. */
  stop(): Promise<void>;
  /** Settles once the cluster has stopped, whether by stop() or by the admin API's /down. */
  readonly stopped: Promise<void>;
}

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
    c = new Controller(profile, opts, paths, registry, model.version);
  } catch (err) {
    releaseStateDir(paths);
    throw err;
  }
  await c.start();
  return { gatewayUrl: c.gatewayUrl, status: () => c.status(), scale: (n, f) => c.scale(n, f), stop: () => c.stop(), stopped: c.stopped };
}

/** One running cluster: wires the gateway link, the supervisor, the autoscaler and the admin API. */
class Controller {
  gatewayUrl = '';
  readonly stopped: Promise<void>;
  private readonly clock: Clock;
  private readonly files: LogFiles;
  private readonly log: Logger;
  private readonly gateway: GatewayLink;
  private readonly supervisor: Supervisor;
  private readonly autoscaling: AutoscaleLoop;
  private readonly monitoring: ControllerMonitoring;
  private readonly startedAtMs: number;
  private readonly startedAt = new Date().toISOString();
  private phase: ClusterStatus['phase'] = 'starting';
  private closeAdmin: (() => Promise<void>) | undefined;
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;

  constructor(
    private readonly profile: Profile,
    private readonly opts: StartClusterOptions,
    private readonly paths: StatePaths,
    registry: string,
    private readonly modelVersion: number,
  ) {
    const clock = (this.clock = opts.clock ?? systemClock);
    this.startedAtMs = clock.nowMs();
    this.stopped = new Promise<void>((r) => (this.resolveStopped = r));
    this.files = new LogFiles(paths.logsDir);
    const log = (this.log = createLogger({ component: 'controller' }, { write: (l) => this.files.write('controller', l) }));
    this.monitoring = new ControllerMonitoring(profile, paths.sdFile, log, () => this.status());
    const launcher = opts.launcher ?? new LocalLauncher(clock);
    const cliEntry = opts.cliEntry ?? defaultCliEntry;
    const onEvent = (e: ClusterEvent) => this.emit(e);
    this.gateway = new GatewayLink({
      launcher, clock, log, onEvent, restartPolicy: profile.restart, startupTimeoutMs: profile.health.startupTimeoutMs,
      drainTimeoutMs: profile.drainTimeoutMs,
      launch: (port) => gatewayLaunch(profile, { cliEntry, port }),
      onOutput: (line) => this.files.write('gateway', line),
      onUrl: (url) => {
        this.gatewayUrl = url;
        this.writeState();
        this.monitoring.targetsChanged({ gatewayUrl: url });
      },
    });
    this.supervisor = new Supervisor({
      profile, launcher, clock, log, onEvent, hosts: [localCapacity(profile.local)], oversubscribe: opts.oversubscribe ?? false,
      replicaLaunch: (id) => replicaLaunch(profile, { cliEntry, replicaId: id, modelVersion, registry }),
      onOutput: (id, line) => this.files.write(id, line),
      onSetChange: () => {
        this.monitoring.targetsChanged({ replicas: this.supervisor.endpoints() });
        return this.gateway.update(this.supervisor.endpoints());
      },
    });
    this.autoscaling = new AutoscaleLoop(profile, clock, this.monitoring.counting(this.supervisor), onEvent);
  }

  /** Starts everything and waits for readiness; on any failure stops what it started and throws. */
  async start(): Promise<void> {
    const { signal } = this.opts;
    const onAbort = () => void this.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw interrupted();
      const closeAdmin = await startAdminServer(this.paths.adminSocket, {
        status: () => this.status(), scale: (n, f) => this.scale(n, f), down: () => void this.stop(),
      });
      // Aborted while the socket was opening: stop() has run already and could not close it.
      if (this.stopping) {
        await closeAdmin();
        throw interrupted();
      }
      this.closeAdmin = closeAdmin;
      await this.monitoring.start();
      this.gateway.start();
      this.supervisor.setReplicas(this.profile.replicas.initial);
      this.supervisor.startProbing();
      await this.waitReady();
    } catch (err) {
      await this.stop();
      throw signal?.aborted ? interrupted() : err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    this.phase = 'running';
    this.log.info('cluster ready', { gatewayUrl: this.gatewayUrl, replicas: this.supervisor.desired });
    this.autoscaling.start();
  }

  status(): ClusterStatus {
    return buildStatus({
      profile: this.profile, phase: this.phase, modelVersion: this.modelVersion, gatewayUrl: this.gatewayUrl, gateway: this.gateway,
      supervisor: this.supervisor, stateDir: this.paths.dir, startedAt: this.startedAt, uptimeMs: this.clock.nowMs() - this.startedAtMs,
      autoscalingActive: this.autoscaling.active, lastDecision: this.autoscaling.lastDecision, controllerMetricsUrl: this.monitoring.metricsUrl,
    });
  }

  async scale(n: number, force = false): Promise<ScaleResult> {
    const { min, max } = this.profile.replicas;
    if (!force && (n < min || n > max)) {
      throw new UserError(`${n} replicas is outside the profile's range ${min}..${max}: pick a count in it, or add --force`);
    }
    this.autoscaling.manualScale(force);
    const from = this.supervisor.desired;
    this.monitoring.scaled(from, n, 'manual');
    this.supervisor.setReplicas(n);
    const pending = this.supervisor.status().filter((r) => r.state === 'pending').map((r) => ({ id: r.id, reason: r.reason ?? 'not placed' }));
    const placed = pending.length === 0 ? '' : `; ${pending.length} pending (${pending.map((p) => `${p.id}: ${p.reason}`).join('; ')})`;
    this.emit({ level: 'info', kind: 'scaled', message: `scaling from ${from} to ${n} replicas${placed}` });
    return { from, to: n, pending };
  }

  /** Drains the gateway, then the replicas, then releases the state directory. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.phase = 'stopping';
      this.autoscaling.stop();
      this.emit({ level: 'info', kind: 'stopping', message: 'draining the gateway, then the replicas' });
      try {
        // The gateway first: it finishes what it accepted while the replicas still serve.
        await this.gateway.stop().catch((err) => this.log.error('stopping the gateway failed', { error: errorMessage(err) }));
        await this.supervisor.stopAll().catch((err) => this.log.error('stopping the replicas failed', { error: errorMessage(err) }));
        await Promise.all([this.closeAdmin?.(), this.monitoring.close()]);
      } finally {
        // Whatever failed above, the directory is released and the files closed.
        releaseStateDir(this.paths);
        this.log.info('stopped');
        this.files.close();
        this.resolveStopped();
      }
    })();
    return this.stopping;
  }

  /** The gateway listens and every placed replica is ready or failed; else a UserError saying why. */
  private async waitReady(): Promise<void> {
    const url = await this.gateway.listening();
    if (this.stopping) throw interrupted();
    if (!url) {
      const why = this.gateway.failure ?? 'unknown reason';
      const hint = /EADDRINUSE|in use/.test(why)
        ? `: free port ${this.profile.gateway.port} or set gateway.port in the profile (0 picks a free one)`
        : ' (see `serve logs gateway`)';
      throw new UserError(`the gateway did not start: ${why}${hint}`);
    }
    await this.supervisor.whenSettled();
    if (this.stopping) throw interrupted();
    const st = this.supervisor.status();
    if (st.length > 0 && !st.some((r) => r.state === 'ready')) {
      const reasons = st.map((r) => `${r.id}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
      const hint = st.some((r) => r.state === 'pending') ? ' or use --oversubscribe' : '';
      throw new UserError(`no replica became ready: ${reasons}. See \`serve logs\`${hint}`);
    }
  }

  private emit(e: ClusterEvent): void {
    this.log[e.level](e.message, { kind: e.kind, replica: e.id });
    this.monitoring.event(e);
    this.opts.onEvent?.(e);
  }

  private writeState(): void {
    const { profile } = this;
    writeStateFile(this.paths, {
      version: 1, pid: process.pid, startedAt: this.startedAt, profileName: profile.name, profilePath: profile.sourcePath,
      gatewayUrl: this.gatewayUrl, adminSocket: this.paths.adminSocket, controllerMetricsUrl: this.monitoring.metricsUrl,
      model: { name: profile.model.name, version: this.modelVersion }, slo: profile.slo,
    });
  }
}

const interrupted = (): UserError => new UserError('interrupted while starting; everything started was stopped', { exitCode: ExitCode.Interrupted });
