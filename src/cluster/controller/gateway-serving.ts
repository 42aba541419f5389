// The gateway's serving process as the controller sees it (control plane): the gateway child is the
// socket holder (gateway/holder/), which names its serving process in `serving` events. This keeps
// the latest, counts those that replaced one that died, tells the cluster's events, and answers
// `serve restart gateway` (admin API POST /gateway/restart).
import type { Clock } from '../../common/clock.js';
import { UserError } from '../../common/errors.js';
import type { GatewayRestartResult } from '../../common/cluster-status.js';
import type { ClusterEvent } from '../events.js';

/** What restartGateway needs of the gateway link. */
interface RestartableGateway {
  readonly pid: number | undefined;
  readonly holderPid: number | undefined;
  readonly state: string;
  restartServing(timeoutMs: number): Promise<number | undefined>;
}

/** How long `serve restart gateway` waits for the new serving process (its start, then it listens). */
export const GATEWAY_RESTART_TIMEOUT_MS = 30_000;

export class ServingView {
  /** The serving process named last (undefined: none named by this holder yet). */
  pid: number | undefined;
  /** Serving processes that holders replaced after they died. */
  restarts = 0;
  private waiters: Array<(pid: number | undefined) => void> = [];

  constructor(
    private readonly clock: Clock,
    private readonly onEvent: (e: ClusterEvent) => void,
  ) {}

  /** A `serving` event of the holder. */
  serving(pid: number, cause: 'planned' | 'crashed' | undefined, reason: string | undefined): void {
    const before = this.pid;
    this.pid = pid;
    for (const w of this.waiters.splice(0)) w(pid);
    if (cause === undefined) return;
    if (cause === 'crashed') this.restarts++;
    this.onEvent({
      level: cause === 'crashed' ? 'warn' : 'info',
      kind: 'gateway',
      message:
        `gateway ${cause === 'crashed' ? 'serving process replaced' : 'restarted (planned)'} on the same socket: ` +
        `pid ${pid}${before !== undefined ? ` instead of ${before}` : ''}${reason ? ` (${reason})` : ''}`,
    });
  }

  /** Resolves with the next serving pid named, or undefined after `timeoutMs` (or settle()). */
  next(timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const done = (pid: number | undefined) => {
        this.clock.clearTimer(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(pid);
      };
      const timer = this.clock.setTimer(() => done(undefined), timeoutMs);
      this.waiters.push(done);
    });
  }

  /** The holder is gone: nobody will name a serving process. */
  settle(): void {
    this.pid = undefined;
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}

/** `serve restart gateway`: a new serving gateway process on the holder's socket, with the settings in force. */
export async function restartGateway(gateway: RestartableGateway): Promise<GatewayRestartResult> {
  const fromPid = gateway.pid;
  const holderPid = gateway.holderPid;
  if (gateway.state !== 'ready' || holderPid === undefined)
    throw new UserError(
      `the gateway is ${gateway.state}${holderPid === undefined ? ' without a socket holder' : ''}: nothing to restart now`,
    );
  const toPid = await gateway.restartServing(GATEWAY_RESTART_TIMEOUT_MS);
  if (toPid === undefined)
    throw new UserError(
      `no new gateway process served within ${GATEWAY_RESTART_TIMEOUT_MS / 1000} s; ` +
        `the old one (pid ${fromPid}) serves on (see logs/gateway.log)`,
    );
  return { ...(fromPid !== undefined ? { fromPid } : {}), toPid, holderPid };
}
