// The gateway child as the controller sees it (control plane): the shell of the supervised-child
// machine for the gateway. It starts it (or adopts a dead controller's), sends it every new replica
// set (gateway-set.ts), restarts it on the same port, and drains it on stop.
// The child is the gateway's socket holder, which replaces its serving process itself (gateway-serving.ts).
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { ControlMessage, ProcessEvent, ReplicaEndpoint } from '../../common/wire.js';
import { GatewaySet } from './gateway-set.js';
import type { ChildLaunch, LaunchedProcess, Launcher } from '../launchers/index.js';
import type { ClusterEvent } from '../events.js';
import type { InForce } from '../in-force.js';
import { initialChild, policyInForce, transition } from '../replicas/index.js';
import type { ChildAction, ChildEvent, ChildPolicy, ChildState } from '../replicas/index.js';
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

export class GatewayLink {
  private child: ChildState = initialChild();
  private proc: LaunchedProcess | undefined;
  private timer: TimerHandle | undefined;
  private readonly policy: ChildPolicy;
  private readonly set: GatewaySet;
  private port: number | undefined;
  private readonly serving: ServingView;
  private listeningWaiters: Array<(url: string) => void> = [];
  url: string | undefined;
  /** Its process was started by a controller that died and taken over by this one. */
  adopted = false;

  constructor(private readonly o: GatewayLinkOptions) {
    // A gateway that never listened (port taken, bad setting) will not do better on a retry.
    this.policy = policyInForce(o.inForce, { failureThreshold: 1, failFastBeforeFirstReady: true });
    this.serving = new ServingView(o.clock, (e) => o.onEvent(e));
    this.set = new GatewaySet(o.clock);
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

  /** What the journal keeps for a controller that adopts the gateway (undefined: not adoptable now). */
  adoptable(): { controlSocket: string; url?: string; port?: number; servingPid?: number } | undefined {
    const socket = this.child.phase === 'ready' ? this.proc?.controlSocket : undefined;
    return socket === undefined
      ? undefined
      : { controlSocket: socket, url: this.url, port: this.port, servingPid: this.serving.pid };
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
    this.set.set = set;
    return this.sendSet(abort);
  }

  /**
   * Sets the traffic weight of each model version (undefined: none) and the replicas held out of
   * routing (a rollout step's new replicas beyond its canary scale: the gateway sees them not
   * ready); resolves once the gateway routes by them.
   */
  setWeights(weights: Record<string, number> | undefined, held: readonly string[] = []): Promise<void> {
    this.set.weights = weights;
    this.set.held = new Set(held);
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

  /**
   * Takes over the socket holder a dead controller started (verified by the caller), listening on
   * `url`: ready at once, then the replica set in force is sent to it. Instead of start().
   */
  adopt(a: {
    url: string;
    port: number;
    servingPid?: number;
    open(onEvent: (e: ProcessEvent) => void): LaunchedProcess;
  }): void {
    this.adopted = true;
    const proc: LaunchedProcess = a.open((e) => this.onChildEvent(proc, e));
    this.attach(proc);
    if (a.servingPid !== undefined) this.serving.serving(a.servingPid, undefined, undefined);
    this.port = a.port;
    this.dispatch({ type: 'adopted' });
    this.onListening(a.port, a.url);
  }

  private launch(): void {
    const { command, args, stdinLines, profileEnv } = this.o.launch(this.port);
    this.adopted = false;
    const proc = this.o.launcher.start({
      id: 'gateway',
      command,
      args,
      ...(profileEnv ? { profileEnv } : {}),
      stdinLines: [...stdinLines, this.set.line()],
      onEvent: (e) => this.onChildEvent(proc, e),
      onLine: (line) => this.o.onOutput(line),
    });
    this.attach(proc);
  }

  private onChildEvent(proc: LaunchedProcess, e: ProcessEvent): void {
    if (this.proc !== proc) return;
    if (e.event === 'listening') this.onListening(e.port, e.url);
    else if (e.event === 'applied') this.set.applied(e.seq);
    else if (e.event === 'serving') this.serving.serving(e.pid, e.cause, e.reason);
    else if (e.event === 'fatal') this.dispatch({ type: 'fatal', error: e.error });
  }

  private attach(proc: LaunchedProcess): void {
    this.proc = proc;
    this.serving.settle();
    void proc.exited.then((info) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      this.serving.settle();
      this.set.applied(Infinity); // nobody is left to acknowledge
      const how = info.signal
        ? `killed by ${info.signal}`
        : info.code === null
          ? 'ended'
          : `exited with code ${info.code}`;
      this.dispatch({ type: 'exited', how });
    });
  }

  private onListening(port: number, url: string): void {
    this.port = port;
    this.url = url;
    this.o.onUrl(url);
    this.dispatch({ type: 'ready' });
    for (const w of this.listeningWaiters.splice(0)) w(url);
  }

  private sendSet(abort: string[]): Promise<void> {
    const proc = this.proc;
    return this.set.send(proc && ((line) => proc.send(line)), abort);
  }

  private settleWaiters(): void {
    for (const w of this.listeningWaiters.splice(0)) w('');
    this.serving.settle();
    this.set.applied(Infinity);
  }
}
