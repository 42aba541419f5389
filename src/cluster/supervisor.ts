// The replica supervisor (control plane): the shell of the supervised-child state machine for every
// replica slot. It feeds the machine events (process output and exits, probes, resource readings,
// timers, placement) and carries out its actions (launch, kill, drain, timers, routing changes).
import { every, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { ProcessEvent, ReplicaEndpoint } from '../common/wire.js';
import type { Profile } from '../profile/types.js';
import type { ChildLaunch } from './child-args.js';
import type { ClusterEvent } from './events.js';
import type { ExitInfo, LaunchedProcess, Launcher } from './launcher.js';
import { placeReplicas, type HostCapacity } from './placement.js';
import { ReplicaSlot, scaleDownOrder } from './replica-slot.js';
import { checkSlot } from './slot-check.js';
import type { ReplicaStatus } from '../common/cluster-status.js';
import { hasProcess, transition, type ChildAction, type ChildEvent, type ChildPolicy } from './supervised-child.js';

export interface SupervisorOptions {
  profile: Profile;
  launcher: Launcher;
  clock: Clock;
  /** The hosts replicas may be placed on now (those that are up). */
  hosts: HostCapacity[] | (() => HostCapacity[]);
  oversubscribe: boolean;
  /** How to start the replica with this id where placement put it. */
  replicaLaunch(id: string, placed: { host?: string; gpus?: number[] }): ChildLaunch;
  /** The cluster token probes and scrapes carry. */
  authToken?: string;
  /** Hosts that are down now, with why: named in a pending replica's reason. */
  downHosts?(): string[];
  log: Logger;
  /** Raw output lines of a replica, for its log file. */
  onOutput(id: string, line: string): void;
  /** The replica set the gateway should see has changed; resolves once the gateway routes by it. */
  onSetChange(): Promise<void>;
  onEvent(event: ClusterEvent): void;
}

/** Phases in which a slot holds its host's resources (a restarting one comes back to the same host). */
const holdsResources = new Set(['starting', 'ready', 'unhealthy', 'draining', 'restarting']);

export class Supervisor {
  private slots: ReplicaSlot[] = [];
  private nextIndex = 1;
  private stopProbes: (() => void) | undefined;
  private closed = false;
  private changeWaiters: Array<() => void> = [];
  private readonly policy: ChildPolicy;
  /** The last routing change, acknowledged or not: a drain waits for it. */
  private routed: Promise<void> = Promise.resolve();
  /** Placement warnings (oversubscription), shown by status. */
  readonly warnings: string[] = [];

  constructor(private readonly o: SupervisorOptions) {
    const p = o.profile;
    this.policy = { restart: p.restart, startupTimeoutMs: p.health.startupTimeoutMs, failureThreshold: p.health.failureThreshold };
  }

  /** Starts the periodic probes and resource checks. */
  startProbing(): void {
    this.stopProbes ??= every(this.o.clock, this.o.profile.health.periodMs, () => this.tick(), { unref: true });
  }

  /** Replica slots the supervisor aims for (running, pending, restarting or failed). */
  get desired(): number {
    return this.slots.filter((s) => !s.child.stopping).length;
  }

  /** Sets the number of replicas: adds slots (placed or pending) or drains the least useful. */
  setReplicas(n: number): void {
    if (this.closed) return;
    const keep = this.slots.filter((s) => !s.child.stopping);
    for (let i = keep.length; i < n; i++) this.slots.push(new ReplicaSlot(this.nextIndex++, this.o.clock));
    if (keep.length > n) for (const slot of scaleDownOrder(keep).slice(0, keep.length - n)) this.dispatch(slot, { type: 'retire' });
    this.place();
  }

  /** Places pending replicas now (a host came back). */
  placePending(): void {
    this.place();
  }

  /** Replicas lost with their host since the last call: the gateway fails what is still at them. */
  takeLost(): string[] {
    return this.lostIds.splice(0);
  }

  private lostIds: string[] = [];

  /** The set to hand to the gateway: every replica that is listening, ready or not. */
  endpoints(): ReplicaEndpoint[] {
    return this.slots
      .filter((s) => s.proc !== undefined && s.url !== undefined && hasProcess(s.child))
      .map((s) => ({ id: s.id, url: s.url!, ready: s.child.phase === 'ready' }));
  }

  status(): ReplicaStatus[] {
    const now = this.o.clock.nowMs();
    return this.slots.map((s) => s.toStatus(now));
  }

  /** True once no placed replica is still on its way (each is ready, failed, or pending). */
  settled(): boolean {
    return this.closed || this.slots.every((s) => !['starting', 'restarting', 'unhealthy'].includes(s.child.phase));
  }

  /** Resolves once `settled()` holds (checked at every change of any slot). */
  whenSettled(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.settled() ? resolve() : this.changeWaiters.push(check));
      this.changeWaiters.push(check);
    });
  }

  /** Sum of in-flight requests over ready replicas, scraped from their /metrics now. */
  async sampleInFlight(timeoutMs: number): Promise<number | undefined> {
    const ready = this.slots.filter((s) => s.child.phase === 'ready' && s.url);
    const values = await Promise.all(ready.map((s) => s.scrapeInFlight(timeoutMs, this.o.authToken)));
    const known = values.filter((v): v is number => v !== undefined);
    return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
  }

  /** Drains and stops every replica (SIGTERM, SIGKILL after the drain timeout). */
  async stopAll(): Promise<void> {
    this.closed = true;
    this.stopProbes?.();
    const exits = this.slots.map((s) => s.proc?.exited);
    for (const slot of [...this.slots]) this.dispatch(slot, { type: 'retire' });
    await Promise.all(exits);
    this.notifyChange();
  }

  /** Runs one event through the machine and carries out what it says. The only writer of `child`. */
  private dispatch(slot: ReplicaSlot, event: ChildEvent): void {
    const before = slot.child.phase;
    const { state, actions } = transition(slot.child, event, this.o.clock.nowMs(), this.policy);
    slot.child = state;
    let routing = false;
    let place = false;
    for (const a of actions) {
      if (a.type === 'routing') routing = true;
      else if (a.type === 'place') place = true;
      else this.perform(slot, a);
    }
    if (routing) this.routed = this.o.onSetChange();
    if (place || holdsResources.has(before) !== holdsResources.has(state.phase)) this.place();
    if (actions.some((a) => a.type === 'drain')) void this.drain(slot);
    this.notifyChange();
  }

  private perform(slot: ReplicaSlot, a: ChildAction): void {
    const { clock } = this.o;
    switch (a.type) {
      case 'launch': return this.launch(slot);
      case 'kill': return slot.proc?.signal('SIGKILL');
      case 'arm':
      case 'disarm':
        clock.clearTimer(slot.timer);
        slot.timer = a.type === 'arm' ? clock.setTimer(() => this.dispatch(slot, { type: 'timer', atMs: a.atMs }), a.atMs - clock.nowMs()) : undefined;
        return;
      case 'remove':
        this.slots = this.slots.filter((s) => s !== slot);
        return;
      case 'report': return this.report(slot, a);
    }
  }

  private report(slot: ReplicaSlot, a: Extract<ChildAction, { type: 'report' }>): void {
    const message = a.kind === 'ready' ? `${slot.id} ready on ${slot.url ?? '?'}` : `${slot.id} ${a.message}`;
    // A failed probe below the threshold is worth a log line, not a line on the operator's terminal.
    if (a.kind === 'probe') this.o.log.warn(message, { replica: slot.id });
    else this.o.onEvent({ level: a.level, kind: a.kind, id: slot.id, message });
  }

  /** Places every pending slot that fits on what the others leave free. */
  private place(): void {
    if (this.closed) return;
    const r = this.o.profile.resources;
    const placed = this.slots.filter((s) => holdsResources.has(s.child.phase)).map((s) => ({ host: s.host ?? '', ...(s.gpus ? { gpus: s.gpus } : {}) }));
    const pending = this.slots.filter((s) => !s.child.stopping && (s.child.phase === 'pending' || s.child.phase === 'lost'));
    if (pending.length === 0) return;
    const hosts = typeof this.o.hosts === 'function' ? this.o.hosts() : this.o.hosts;
    const request = { cpus: r.cpus, memoryBytes: r.memoryBytes, gpus: r.gpus, ...(r.gpuMemoryBytes === undefined ? {} : { gpuMemoryBytes: r.gpuMemoryBytes }) };
    const result = placeReplicas(hosts, request, pending.length, { oversubscribe: this.o.oversubscribe, placed });
    pending.forEach((slot, i) => {
      const spot = result.slots[i]!;
      if (spot.host === undefined) {
        const down = this.o.downHosts?.() ?? [];
        return this.dispatch(slot, { type: 'unplaced', reason: `${spot.reason ?? 'no host'}${down.length > 0 ? `; down: ${down.join(', ')}` : ''}` });
      }
      if (spot.oversubscribed) this.warn(`${slot.id} oversubscribes ${spot.host}`);
      slot.host = spot.host;
      slot.gpus = spot.gpus;
      this.dispatch(slot, { type: 'place' });
    });
  }

  private warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.o.onEvent({ level: 'warn', kind: 'oversubscribed', message });
  }

  private launch(slot: ReplicaSlot): void {
    const { command, args, stdinLines, env, host } = this.o.replicaLaunch(slot.id, { host: slot.host, ...(slot.gpus ? { gpus: slot.gpus } : {}) });
    slot.url = undefined;
    slot.inFlight = undefined;
    const proc = this.o.launcher.start({
      id: slot.id, command, args, stdinLines, ...(env ? { env } : {}), ...(host === undefined ? {} : { host }),
      onEvent: (e) => this.onProcessEvent(slot, proc, e),
      onLine: (line) => this.o.onOutput(slot.id, line),
    });
    slot.proc = proc;
    this.o.log.info('replica started', { replica: slot.id, pid: proc.pid, restarts: slot.child.restarts });
    void proc.exited.then((info) => this.onExit(slot, proc, info));
  }

  private onProcessEvent(slot: ReplicaSlot, proc: LaunchedProcess, e: ProcessEvent): void {
    if (slot.proc !== proc) return;
    if (e.event === 'listening') {
      slot.url = e.url;
      slot.port = e.port;
      this.routed = this.o.onSetChange();
    } else if (e.event === 'ready') {
      slot.device = e.device ?? slot.device;
      this.dispatch(slot, { type: 'ready' });
    } else if (e.event === 'fatal') {
      this.dispatch(slot, { type: 'fatal', error: e.error });
    }
  }

  private onExit(slot: ReplicaSlot, proc: LaunchedProcess, info: ExitInfo): void {
    if (slot.proc !== proc) return;
    slot.proc = undefined;
    slot.url = undefined;
    const how = info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
    if (slot.child.stopping) this.o.log.info('replica stopped', { replica: slot.id, how });
    // Its host is gone: replaced elsewhere (a replica being retired just ends).
    if (info.lost !== undefined && !slot.child.stopping) {
      this.lostIds.push(slot.id);
      return this.dispatch(slot, { type: 'host-lost', why: info.lost });
    }
    this.dispatch(slot, { type: 'exited', how });
  }

  /** Out of routing first (the gateway acknowledges the new set), then SIGTERM so it finishes its work. */
  private async drain(slot: ReplicaSlot): Promise<void> {
    const proc = slot.proc;
    await this.routed;
    await proc?.stop(this.o.profile.drainTimeoutMs);
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    await Promise.all(this.slots.map((slot) => this.check(slot)));
  }

  /** One period's resource reading and readiness probe of one slot; stale answers are dropped. */
  private async check(slot: ReplicaSlot): Promise<void> {
    const proc = slot.proc;
    if (!proc || (!proc.remote && !proc.pid) || slot.probing) return;
    slot.probing = true;
    try {
      for (const event of await checkSlot(slot, proc.remote ? undefined : proc.pid, this.o.profile, this.o.authToken)) if (slot.proc === proc) this.dispatch(slot, event);
    } finally {
      slot.probing = false;
    }
  }

  private notifyChange(): void {
    const waiters = this.changeWaiters.splice(0);
    for (const w of waiters) w();
  }
}
