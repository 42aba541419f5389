// The controller (control plane): `startCluster` places and starts replicas and the gateway,
// supervises them, autoscales, serves the admin API and keeps the state directory. `serve up`
// and `serve demo` call it; the returned handle stops everything cleanly.
import { systemClock, type Clock } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { createLogger, type Logger } from '../common/log.js';
import type { ClusterStateFile } from '../common/wire.js';
import { resolveModel } from '../model/registry.js';
import type { Profile } from '../profile/types.js';
import path from 'node:path';
import { startAdminServer } from './admin-server.js';
import { Autoscaler } from './autoscaler.js';
import { localCapacity } from './capacity.js';
import { defaultCliEntry, gatewayArgs, replicaArgs } from './child-args.js';
import type { ClusterEvent } from './events.js';
import { GatewayLink } from './gateway-link.js';
import type { Launcher } from './launcher.js';
import { LocalLauncher } from './local-launcher.js';
import { LogFiles } from './log-files.js';
import { checkSocketPath, claimStateDir, releaseStateDir, statePaths, writeStateFile, type StatePaths } from './state-dir.js';
import type { ClusterStatus } from './status.js';
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
  scale(replicas: number, force?: boolean): Promise<void>;
  /** Drains the gateway, then the replicas, and releases the state directory. Idempotent. */
  stop(): Promise<void>;
  /** Settles once the cluster has stopped, whether by stop() or by the admin API's /down. */
  readonly stopped: Promise<void>;
}

/**
 * Starts a cluster for `profile` and resolves once the gateway listens and every placed replica
 * is ready or has failed. Throws UserError (leaving nothing running) if the state directory's
 * path is too long, the model is missing or broken, another cluster owns the state directory,
 * the gateway does not listen in time, or no replica became ready.
 */
export async function startCluster(profile: Profile, opts: StartClusterOptions): Promise<ClusterHandle> {
  const paths = statePaths(opts.stateDir);
  // Checks that need nothing started come first, so a failure leaves nothing behind.
  checkSocketPath(paths);
  const registry = path.resolve(opts.registryOverride ?? profile.model.registry);
  const { name, version } = profile.model;
  const model = await resolveModel(registry, `${name}@${version}`);
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
  private readonly autoscaler: Autoscaler;
  private readonly startedAtMs: number;
  private readonly startedAt = new Date().toISOString();
  private phase: ClusterStatus['phase'] = 'starting';
  private autoscalingActive: boolean;
  private lastDecision: { averageInFlight: number; desiredReplicas: number } | undefined;
  private loadTimer: NodeJS.Timeout | undefined;
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
    this.clock = opts.clock ?? systemClock;
    this.startedAtMs = this.clock.nowMs();
    this.stopped = new Promise<void>((r) => (this.resolveStopped = r));
    this.files = new LogFiles(paths.logsDir);
    this.log = createLogger({ component: 'controller' }, { write: (l) => this.files.write('controller', l) });
    const launcher = opts.launcher ?? new LocalLauncher();
    const cliEntry = opts.cliEntry ?? defaultCliEntry;
    const { clock, log } = this;
    const emit = (e: ClusterEvent) => this.emit(e);
    this.gateway = new GatewayLink({
      launcher, clock, restartPolicy: profile.restart, log, onEvent: emit,
      command: (port) => ({ command: process.execPath, args: gatewayArgs(profile, { cliEntry, port }) }),
      onOutput: (line) => this.files.write('gateway', line),
      onUrl: (url) => {
        this.gatewayUrl = url;
        this.writeState();
      },
    });
    this.supervisor = new Supervisor({
      profile, launcher, clock, log, onEvent: emit, hosts: [localCapacity(profile.local)], oversubscribe: opts.oversubscribe ?? false,
      replicaCommand: (id) => ({ command: process.execPath, args: replicaArgs(profile, { cliEntry, replicaId: id, modelVersion, registry }) }),
      onOutput: (id, line) => this.files.write(id, line),
      onSetChange: () => this.gateway.update(this.supervisor.endpoints()),
    });
    const a = profile.autoscaling;
    this.autoscalingActive = a.enabled;
    this.autoscaler = new Autoscaler(
      {
        minReplicas: profile.replicas.min, maxReplicas: profile.replicas.max, targetOngoingRequests: a.targetOngoingRequests,
        upscaleDelayMs: a.upscaleDelayMs, downscaleDelayMs: a.downscaleDelayMs, lookbackMs: a.lookbackMs,
      },
      clock,
    );
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
    this.loadTimer = setInterval(() => void this.autoscaleTick(), this.profile.autoscaling.metricsIntervalMs);
    this.loadTimer.unref();
  }

  status(): ClusterStatus {
    const { profile, gateway, supervisor } = this;
    const a = profile.autoscaling;
    return {
      phase: this.phase,
      profile: { name: profile.name, path: profile.sourcePath },
      model: { name: profile.model.name, version: this.modelVersion },
      gatewayUrl: this.gatewayUrl,
      gateway: { pid: gateway.pid, state: gateway.state, restarts: gateway.restarts },
      controllerPid: process.pid,
      stateDir: this.paths.dir,
      startedAt: this.startedAt,
      uptimeMs: this.clock.nowMs() - this.startedAtMs,
      desiredReplicas: supervisor.desired,
      autoscaling: {
        enabled: a.enabled, active: this.autoscalingActive, minReplicas: profile.replicas.min, maxReplicas: profile.replicas.max,
        targetOngoingRequests: a.targetOngoingRequests,
        averageInFlight: this.lastDecision?.averageInFlight, wantedReplicas: this.lastDecision?.desiredReplicas,
      },
      replicas: supervisor.status(),
      warnings: [...supervisor.warnings],
    };
  }

  async scale(n: number, force = false): Promise<void> {
    const { min, max } = this.profile.replicas;
    if (!force && (n < min || n > max)) {
      throw new UserError(`${n} replicas is outside the profile's range ${min}..${max}: pick a count in it, or add --force`);
    }
    if (force) this.autoscalingActive = false;
    this.autoscaler.reset();
    this.emit({ level: 'info', kind: 'scaled', message: `scaling to ${n} replicas (was ${this.supervisor.desired})` });
    this.supervisor.setReplicas(n);
  }

  /** Drains the gateway, then the replicas, then releases the state directory. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.phase = 'stopping';
      if (this.loadTimer) clearInterval(this.loadTimer);
      this.emit({ level: 'info', kind: 'stopping', message: 'draining the gateway, then the replicas' });
      try {
        // The gateway first: it finishes what it accepted while the replicas still serve.
        await this.gateway.stop(this.profile.drainTimeoutMs).catch((err) => this.log.error('stopping the gateway failed', { error: errorMessage(err) }));
        await this.supervisor.stopAll(this.profile.drainTimeoutMs).catch((err) => this.log.error('stopping the replicas failed', { error: errorMessage(err) }));
        await this.closeAdmin?.();
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

  private async waitReady(): Promise<void> {
    const { gateway, supervisor, profile } = this;
    const url = await this.gatewayListening(profile.health.startupTimeoutMs);
    if (url === undefined) {
      throw new UserError(
        `the gateway did not listen within ${profile.health.startupTimeoutMs}ms (health.startup_timeout): see \`serve logs gateway\`, or raise health.startup_timeout in the profile`,
      );
    }
    if (!url) {
      const hint = /EADDRINUSE/.test(gateway.failure ?? '')
        ? `: free port ${profile.gateway.port} or set gateway.port in the profile (0 picks a free one)`
        : ' (see `serve logs gateway`)';
      throw new UserError(`the gateway did not start: ${gateway.failure ?? 'unknown reason'}${hint}`);
    }
    const deadline = Date.now() + profile.health.startupTimeoutMs + 10_000;
    while (!supervisor.settled() && !this.stopping && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (this.stopping) throw interrupted();
    const st = supervisor.status();
    if (st.length > 0 && !st.some((r) => r.state === 'ready')) {
      const reasons = st.map((r) => `${r.id}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
      const hint = st.some((r) => r.state === 'pending') ? ' or use --oversubscribe' : '';
      throw new UserError(`no replica became ready: ${reasons}. See \`serve logs\`${hint}`);
    }
  }

  /** The gateway's URL, '' if it failed for good, undefined if it did not listen within `timeoutMs`. */
  private async gatewayListening(timeoutMs: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.gateway.listening(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One autoscaling step: scrape in-flight, feed the policy, apply its decision. */
  private async autoscaleTick(): Promise<void> {
    const a = this.profile.autoscaling;
    const total = await this.supervisor.sampleInFlight(Math.min(a.metricsIntervalMs, 1000));
    if (total === undefined || this.stopping) return;
    this.autoscaler.observe(total);
    const d = this.autoscaler.decide(this.supervisor.desired);
    if (!d) return;
    this.lastDecision = d;
    if (a.enabled && this.autoscalingActive && d.applyReplicas !== undefined) {
      const message = `autoscaling to ${d.applyReplicas} replicas (average in-flight ${d.averageInFlight.toFixed(1)})`;
      this.emit({ level: 'info', kind: 'scaled', message });
      this.supervisor.setReplicas(d.applyReplicas);
    }
  }

  private emit(e: ClusterEvent): void {
    this.log[e.level](e.message, { kind: e.kind, replica: e.id });
    this.opts.onEvent?.(e);
  }

  private writeState(): void {
    const { profile } = this;
    const state: ClusterStateFile = {
      version: 1, pid: process.pid, startedAt: this.startedAt, profileName: profile.name, profilePath: profile.sourcePath,
      gatewayUrl: this.gatewayUrl, adminSocket: this.paths.adminSocket,
      model: { name: profile.model.name, version: this.modelVersion }, slo: profile.slo,
    };
    writeStateFile(this.paths, state);
  }
}

function interrupted(): UserError {
  return new UserError('interrupted while starting; everything started was stopped', { exitCode: ExitCode.Interrupted });
}
