// Client of the admin API (control plane), used by `serve status`, `scale`, `down` and tune:
// HTTP over the state directory's unix socket. "Nothing running" is an UnreachableError (exit 3).
import http from 'node:http';
import { UnreachableError, UserError } from '../common/errors.js';
import { formatMs } from '../common/units.js';
import { runningPid, statePaths, type StatePaths } from '../common/state-layout.js';
import { notRunningHere } from '../common/controller-death.js';
import type { ClusterStatus, GatewayRestartResult, ScaleResult } from '../common/cluster-status.js';
import type { ReconfigureRequest, ReconfigureResult } from '../common/settings/live-settings.js';
import type { RolloutRequest, RolloutStatus } from '../common/rollout.js';

/**
 * The controller is there but did not give a usable answer: no answer within the time limit, a
 * 5xx, or a body that is not JSON. Exit code 3; `serve down` falls back to signals on it.
 */
export class ControllerUnresponsiveError extends UnreachableError {
  /** What went wrong, e.g. "did not answer within 2.00s". */
  readonly reason: string;
  constructor(message: string, reason: string) {
    super(message);
    this.reason = reason;
    this.name = 'ControllerUnresponsiveError';
  }
}

/** Talks to the controller that owns `stateDir`. */
export class AdminClient {
  readonly paths: StatePaths;

  /** `timeoutMs` bounds each whole request, connecting included. */
  constructor(
    stateDir: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.paths = statePaths(stateDir);
  }

  status(): Promise<ClusterStatus> {
    return this.request('GET', '/status') as Promise<ClusterStatus>;
  }

  scale(replicas: number, force = false): Promise<ScaleResult> {
    return this.request('POST', '/scale', { replicas, force }) as Promise<ScaleResult>;
  }

  /** Changes batching live and threads by replacing replicas; resolves once every replica has the change. */
  reconfigure(settings: ReconfigureRequest): Promise<ReconfigureResult> {
    return this.request('POST', '/reconfigure', settings) as Promise<ReconfigureResult>;
  }

  /** Starts a rollout; resolves once the controller accepted it (it runs on without this client). */
  rollout(req: RolloutRequest): Promise<RolloutStatus> {
    return this.request('POST', '/rollout', req) as Promise<RolloutStatus>;
  }

  /** The rollout in progress or the last one; undefined when none ever ran. */
  async rolloutStatus(): Promise<RolloutStatus | undefined> {
    const r = (await this.request('GET', '/rollout')) as { rollout: RolloutStatus | null };
    return r.rollout ?? undefined;
  }

  /** Rolls the rollout in progress back (nothing when it already ended). */
  rolloutAbort(reason?: string): Promise<RolloutStatus> {
    return this.request('POST', '/rollout/abort', reason === undefined ? {} : { reason }) as Promise<RolloutStatus>;
  }

  /** Restarts the serving gateway on the same socket; resolves once the new one serves. */
  restartGateway(): Promise<GatewayRestartResult> {
    return this.request('POST', '/gateway/restart') as Promise<GatewayRestartResult>;
  }

  async down(): Promise<void> {
    await this.request('POST', '/down');
  }

  /**
   * One request; 4xx answers become UserError with the controller's message, no usable answer
   * a ControllerUnresponsiveError, no socket or no listener "no cluster is running".
   */
  request(method: string, path: string, body?: unknown): Promise<unknown> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      };
      const headers =
        text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
      const req = http.request({ socketPath: this.paths.adminSocket, agent: false, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => finish(this.unresponsive('broke off its answer')));
        res.on('end', () => {
          try {
            finish(undefined, this.answer(method, path, res.statusCode ?? 0, Buffer.concat(chunks)));
          } catch (err) {
            finish(err as Error);
          }
        });
      });
      const timer = setTimeout(() => {
        finish(this.unresponsive(`did not answer within ${formatMs(this.timeoutMs)}`));
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') finish(notRunningHere(this.paths));
        else finish(this.unresponsive(`closed the connection (${err.code ?? err.message})`));
      });
      req.end(text);
    });
  }

  /** The parsed body of a 2xx answer; throws what any other answer means (see `request`). */
  private answer(method: string, path: string, status: number, body: Buffer): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw this.unresponsive(`answered ${status} with a body that is not JSON`);
    }
    const msg = (parsed as { error?: unknown } | null)?.error;
    if (status >= 500) {
      // The server already says "internal error: ..."; do not say it twice.
      const detail = typeof msg === 'string' ? msg.replace(/^internal error: /, '') : `status ${status}`;
      throw this.unresponsive(`failed to answer ${method} ${path} (${status}: ${detail})`);
    }
    if (status >= 400) throw new UserError(typeof msg === 'string' ? msg : `admin API answered ${status}`);
    return parsed;
  }

  private unresponsive(why: string): ControllerUnresponsiveError {
    const pid = runningPid(this.paths);
    return new ControllerUnresponsiveError(
      `the controller${pid === undefined ? '' : ` (pid ${pid})`} in ${this.paths.dir} ` +
        `${why}: stop it with \`serve down --state-dir ${this.paths.dir}\` (it falls ` +
        `back to signals)`,
      why,
    );
  }
}
