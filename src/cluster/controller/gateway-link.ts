// The gateway child as the controller sees it (control plane): the shell of the supervised-child
// machine for the gateway. It starts it, sends it every new replica set on stdin and knows when the
// gateway routes by it (the `applied` event), restarts it on the same port, and drains it on stop.
// The child is the gateway's socket holder, which replaces its serving process itself (gateway-serving.ts).
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ControlMessage, ReplicaEndpoint } from '../../common/wire.js';
import type { ChildLaunch } from '../launchers/index.js';
import type { ClusterEvent } from '../events.js';
import type { InForce } from '../in-force.js';
import type { LaunchedProcess, Launcher } from '../launchers/index.js';
import {
  initialChild,
  type ChildAction,
  type ChildEvent,
  type ChildPolicy,
  type ChildState,
} from '../replicas/index.js';
import { policyInForce, transition } from '../replicas/index.js';
import { ServingView } from './gateway-serving.js';

export interface GatewayLinkOptions {
  launcher: Launcher;
  clock: Clock;
  /** Its restart policy, startup timeout (not listening within it is a failed start) and drain time, read at each use. */
  inForce: InForce;
  /** How to start it; `port` is set on restarts to keep the URL the same. */
  launch(port?: number): ChildLaunch;
  log: Logger;
  onOutput(line: string): void;
  onEvent(event: ClusterEvent): void;
  /** Called when the gateway's URL becomes known or changes. */
  onUrl(url: string): void;
}

/** How long a replica-set change may go unacknowledged before callers stop waiting (a restarting gateway). */
const ACK_TIMEOUT_MS = 2000;

export class GatewayLink {
  private child: ChildState = initialChild();
  private proc: LaunchedProcess | undefined;
  private timer: TimerHandle | undefined;
  private readonly policy: ChildPolicy;
  private set: ReplicaEndpoint[] = [];
  /** Traffic weight by model version during a rollout; undefined otherwise. */
  private weights: Record<string, number> | undefined;
  /** Replicas a rollout step holds out of routing (sent as not ready); empty otherwise. */
  private held: ReadonlySet<string> = new Set();
  private port: number | undefined;
  private readonly serving: ServingView;
  private seq = 0;
  private ackWaiters: Array<{ seq: number; resolve(): void }> = [];
  private listeningWaiters: Array<(url: string) => void> = [];
  url: string | undefined;

  constructor(private readonly o: GatewayLinkOptions) {
    // A gateway that never listened (port taken, bad setting) will not do better on a retry.
    this.policy = policyInForce(o.inForce, { failureThreshold: 1, failFastBeforeFirstReady: true });
    this.serving = new ServingView(o.clock, (e) => o.onEvent(e));
  }

  /** The serving gateway process (the holder's child; the child itself if it never said). */
  get pid(): number | undefined {
    return this.proc ? (this.serving.pid ?? this.proc.pid) : undefined;
  }

  /** The socket holder's pid (the process this link started), once it named a serving process. */
  get holderPid(): number | undefined {
    return this.serving.pid !== undefined ? this.proc?.pid : undefined;
  }

  get state(): 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped' {
    const p = this.child.phase;
    if (p === 'ready' || p === 'restarting' || p === 'failed' || p === 'stopped') return p;
    return p === 'draining' ? 'stopped' : 'starting';
  }

  /** Restarts after a failure: of the holder, and of a serving process its holder replaced. */
  get restarts(): number {
    return this.child.restarts + this.serving.restarts;
  }

  /**
   * A planned restart of the serving gateway on the same socket (the holder starts the new one, and
   * the old one hands over once it listens), with the settings of the profile in force (host and
   * port aside). Resolves with the new serving pid, or undefined if none came within `timeoutMs`.
   */
  restartServing(timeoutMs: number): Promise<number | undefined> {
    if (!this.proc || this.child.phase !== 'ready') return Promise.resolve(undefined);
    const first = this.o.launch(this.port).stdinLines[0];
    const settings = first ? (JSON.parse(first) as { settings?: Record<string, unknown> }).settings : undefined;
    const msg: ControlMessage = { type: 'restart', ...(settings ? { settings } : {}) };
    const next = this.serving.next(timeoutMs);
    this.proc.send(JSON.stringify(msg));
    return next;
  }

  /** Why it failed or is restarting. */
  get failure(): string | undefined {
    return this.child.reason;
  }

  start(): void {
    this.dispatch({ type: 'place' });
  }

  /** Resolves with the gateway URL once it listens ('' if it failed for good or was stopped). */
  listening(): Promise<string> {
    if (this.url !== undefined && this.child.phase === 'ready') return Promise.resolve(this.url);
    if (this.child.phase === 'failed' || this.child.phase === 'stopped') return Promise.resolve('');
    return new Promise((resolve) => this.listeningWaiters.push(resolve));
  }

  /**
   * Replaces the replica set the gateway routes to; resolves once it routes by it (or cannot).
   * `abort`: replicas whose host was lost, whose requests the gateway fails and retries now.
   */
  update(set: ReplicaEndpoint[], abort: string[] = []): Promise<void> {
    this.set = set;
    return this.sendSet(abort);
  }

  /**
   * Sets the traffic weight of each model version (undefined: none) and the replicas held out of
   * routing (a rollout step's new replicas beyond its canary scale: the gateway sees them not
   * ready); resolves once the gateway routes by them.
   */
  setWeights(weights: Record<string, number> | undefined, held: readonly string[] = []): Promise<void> {
    this.weights = weights;
    this.held = new Set(held);
    return this.sendSet([]);
  }

  /** Drains the gateway (SIGTERM: it finishes what it accepted), SIGKILL after the drain timeout. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.dispatch({ type: 'retire' });
    await proc?.exited;
    this.settleWaiters();
  }

  private dispatch(event: ChildEvent): void {
    const { state, actions } = transition(this.child, event, this.o.clock.nowMs(), this.policy);
    this.child = state;
    for (const a of actions) this.perform(a);
    if (state.phase === 'failed' || state.phase === 'stopped') this.settleWaiters();
  }

  private perform(a: ChildAction): void {
    const { clock } = this.o;
    switch (a.type) {
      case 'launch':
        return this.launch();
      case 'kill':
        return this.proc?.signal('SIGKILL');
      case 'drain':
        return void this.proc?.stop(this.o.inForce.profile.drainTimeoutMs);
      case 'arm':
        clock.clearTimer(this.timer);
        this.timer = clock.setTimer(() => this.dispatch({ type: 'timer', atMs: a.atMs }), a.atMs - clock.nowMs());
        return;
      case 'disarm':
        return clock.clearTimer(this.timer);
      case 'place':
        return this.dispatch({ type: 'place' });
      case 'report':
        return a.kind === 'ready'
          ? undefined
          : this.o.onEvent({ level: a.level, kind: 'gateway', message: `gateway ${a.message}` });
      default:
        return undefined; // routing and remove concern replica sets, not the gateway itself
    }
  }

  private launch(): void {
    const { command, args, stdinLines, profileEnv } = this.o.launch(this.port);
    const proc = this.o.launcher.start({
      id: 'gateway',
      command,
      args,
      ...(profileEnv ? { profileEnv } : {}),
      stdinLines: [...stdinLines, this.setLine()],
      onEvent: (e) => {
        if (this.proc !== proc) return;
        if (e.event === 'listening') this.onListening(e.port, e.url);
        else if (e.event === 'applied') this.onApplied(e.seq);
        else if (e.event === 'serving') this.serving.serving(e.pid, e.cause, e.reason);
        else if (e.event === 'fatal') this.dispatch({ type: 'fatal', error: e.error });
      },
      onLine: (line) => this.o.onOutput(line),
    });
    this.proc = proc;
    this.serving.settle();
    void proc.exited.then((info) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      this.serving.settle();
      this.onApplied(Infinity); // nobody is left to acknowledge
      this.dispatch({
        type: 'exited',
        how: info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`,
      });
    });
  }

  private onListening(port: number, url: string): void {
    this.port = port;
    this.url = url;
    this.o.onUrl(url);
    this.dispatch({ type: 'ready' });
    for (const w of this.listeningWaiters.splice(0)) w(url);
  }

  private setLine(abort: string[] = []): string {
    const msg: ControlMessage = {
      type: 'replicas',
      replicas:
        this.held.size === 0 ? this.set : this.set.map((r) => (this.held.has(r.id) ? { ...r, ready: false } : r)),
      seq: ++this.seq,
      ...(abort.length > 0 ? { abort } : {}),
      ...(this.weights ? { weights: this.weights } : {}),
    };
    return JSON.stringify(msg);
  }

  private sendSet(abort: string[]): Promise<void> {
    if (!this.proc) return Promise.resolve();
    const line = this.setLine(abort);
    const seq = this.seq;
    this.proc.send(line);
    return new Promise<void>((resolve) => {
      const timer = this.o.clock.setTimer(() => resolve(), ACK_TIMEOUT_MS);
      this.ackWaiters.push({ seq, resolve: () => (this.o.clock.clearTimer(timer), resolve()) });
    });
  }

  private onApplied(seq: number): void {
    const done = this.ackWaiters.filter((w) => w.seq <= seq);
    this.ackWaiters = this.ackWaiters.filter((w) => w.seq > seq);
    for (const w of done) w.resolve();
  }

  private settleWaiters(): void {
    for (const w of this.listeningWaiters.splice(0)) w('');
    this.serving.settle();
    this.onApplied(Infinity);
  }
}
