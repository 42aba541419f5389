// The replica supervisor (control plane): the shell of the supervised-child state machine for every
// replica slot. It feeds the machine events (process output and exits, probes, resource readings,
// timers, placement) and carries out its actions (launch, kill, drain, timers, routing changes).
import { ChangeSignal } from '../../common/change-signal.js';
import type { ReplicaEndpoint } from '../../common/wire.js';
import type { ClusterEvent } from '../events.js';
import { holdsResources, placeSlots } from './slot-placement.js';
import { ReplicaSlot, scaleDownOrder } from './slot.js';
import { rollReplicas } from './rolling.js';
import { LiveReconfigure } from './live-reconfigure.js';
import type { LiveSettings, ReplicaReconfigured } from '../../common/settings/live-settings.js';
import { adoptSlot, launchSlot, type AdoptedReplica, type SlotProcessHost } from './slot-process.js';
import { probeEvery } from './probe-timer.js';
import { policyInForce } from './policy-in-force.js';
import { checkSlots } from './slot-check.js';
import type { ReplicaStatus } from '../../common/cluster-status.js';
import { hasProcess, type ChildEvent, type ChildPolicy } from './child-state.js';
import { transition } from './supervised-child.js';
import { performSlotAction, type SlotActionHost } from './slot-actions.js';
import type { SupervisorOptions } from './supervisor-options.js';
import { adoptableOf, replicaEndpoints, sampleReadyLoad } from './slot-views.js';

export class Supervisor {
  private slots: ReplicaSlot[] = [];
  private nextIndex = 1;
  /** Settings generation: bumped by roll(); each slot records the one it was launched with. */
  private generation = 0;
  private rollingGeneration: number | undefined;
  private stopProbes: (() => void) | undefined;
  private closed = false;
  private readonly changes = new ChangeSignal();
  private readonly policy: ChildPolicy;
  /** The last routing change, acknowledged or not: a drain waits for it. */
  private routed: Promise<void> = Promise.resolve();
  /** Placement warnings (oversubscription), shown by status. */
  readonly warnings: string[] = [];
  private readonly processHost: SlotProcessHost;
  private readonly actionHost: SlotActionHost;
  private lostIds: string[] = [];
  private readonly live: LiveReconfigure;

  constructor(private readonly o: SupervisorOptions) {
    // Read from the profile in force at each decision (a schedule switch may change them).
    this.policy = policyInForce(o.inForce);
    this.live = new LiveReconfigure(o.clock);
    this.processHost = {
      ...o,
      dispatch: (slot, e) => this.dispatch(slot, e),
      listening: () => {
        this.routed = this.o.onSetChange();
      },
      lost: (slot) => this.lostIds.push(slot.id),
      reconfigured: (slot, e) => this.live.onAck(slot, e),
    };
    this.actionHost = {
      ...o,
      launch: (slot) => launchSlot(this.processHost, slot, this.generation),
      dispatch: (slot, e) => this.dispatch(slot, e),
      remove: (slot) => {
        this.slots = this.slots.filter((s) => s !== slot);
      },
    };
  }

  /** Starts the periodic probes and resource checks. */
  startProbing(): void {
    this.stopProbes ??= probeEvery(this.o.inForce, this.o.clock, () =>
      this.closed
        ? undefined
        : checkSlots(this.slots, this.o.inForce.profile, (slot, e) => this.dispatch(slot, e), this.o.authToken),
    );
  }

  /** Replica slots the supervisor aims for (running, pending, restarting or failed). */
  get desired(): number {
    return this.slots.filter((s) => !s.child.stopping).length;
  }

  /** Sets the number of replicas: adds slots (placed or pending) or drains the least useful. */
  setReplicas(n: number): void {
    if (this.closed) return;
    const keep = this.slots.filter((s) => !s.child.stopping);
    for (let i = keep.length; i < n; i++)
      this.slots.push(new ReplicaSlot(this.nextIndex++, this.o.clock, this.o.inForce.modelVersion));
    if (keep.length > n)
      for (const slot of scaleDownOrder(keep).slice(0, keep.length - n)) this.dispatch(slot, { type: 'retire' });
    this.place();
  }

  /** Takes over a dead controller's (verified) replicas: same ids, pids and URLs, ready at once. Before setReplicas. */
  adopt(replicas: readonly AdoptedReplica[]): void {
    for (const a of replicas) {
      if (this.closed) return;
      const slot = new ReplicaSlot(a.index, this.o.clock, a.modelVersion);
      this.slots.push(slot);
      this.nextIndex = Math.max(this.nextIndex, a.index + 1);
      adoptSlot(this.processHost, slot, a, this.generation);
      this.dispatch(slot, { type: 'adopted' });
    }
  }

  /** A rollout's change: adds `add` replicas of model `version`, drains up to `retire` of them (out of routing first, as on scale-down). */
  changeVersion(version: number, add: number, retire = 0): void {
    for (let i = 0; i < add && !this.closed; i++)
      this.slots.push(new ReplicaSlot(this.nextIndex++, this.o.clock, version));
    for (const slot of scaleDownOrder(this.slots.filter((s) => s.modelVersion === version && !s.child.stopping)).slice(
      0,
      retire,
    ))
      this.dispatch(slot, { type: 'retire' });
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

  /** The set to hand to the gateway: every replica that is listening, ready or not. */
  endpoints(): ReplicaEndpoint[] {
    return replicaEndpoints(this.slots);
  }

  /** What the journal keeps of replica `id` for a controller that adopts it (undefined: not adoptable now). */
  adoptable(id: string): ReturnType<typeof adoptableOf> {
    return adoptableOf(this.slots.find((s) => s.id === id));
  }

  status(): ReplicaStatus[] {
    const now = this.o.clock.nowMs();
    return this.slots.map((s) => s.toStatus(now));
  }

  /** True once no placed replica is still on its way (each is ready, failed, or pending). */
  settled(): boolean {
    return this.closed || this.slots.every((s) => !['starting', 'restarting', 'unhealthy'].includes(s.child.phase));
  }

  /** Resolves at the next change of any slot (its state, its placement, the set). */
  whenChanged(): Promise<void> {
    return this.changes.next();
  }

  /** Resolves once `settled()` holds (checked at every change of any slot). */
  whenSettled(): Promise<void> {
    return this.changes.until(() => this.settled());
  }

  /** Replicas ready now. */
  get ready(): number {
    return this.slots.filter((s) => s.child.phase === 'ready').length;
  }

  /** Requests in flight at the ready replicas and waiting in their queues, scraped from their /metrics now. */
  sampleLoad(timeoutMs: number): Promise<{ inFlight: number; queued: number } | undefined> {
    return sampleReadyLoad(this.slots, timeoutMs, this.o.authToken);
  }

  /** True while `roll` replaces replicas. */
  get rolling(): boolean {
    return this.rollingGeneration !== undefined;
  }

  /** Replaces every replica with one launched with the current settings, one at a time (see rolling.ts). */
  async roll(): Promise<void> {
    const generation = ++this.generation;
    this.rollingGeneration = generation;
    const host = {
      closed: () => this.closed,
      slots: () => this.slots,
      retire: (slot: ReplicaSlot) => this.dispatch(slot, { type: 'retire' }),
      whenChanged: () => this.changes.next(),
      onEvent: (e: ClusterEvent) => this.o.onEvent(e),
      addSlot: () => {
        const fresh = new ReplicaSlot(this.nextIndex++, this.o.clock, this.o.inForce.modelVersion);
        this.slots.push(fresh);
        this.place();
        return fresh;
      },
    };
    try {
      await rollReplicas(host, generation, () => this.generation === generation);
    } finally {
      if (this.rollingGeneration === generation) this.rollingGeneration = undefined;
    }
  }

  /** Sends a live batching change to every replica with a running process; resolves with each one's answer. */
  reconfigureLive(settings: LiveSettings, timeoutMs: number): Promise<ReplicaReconfigured[]> {
    const running = this.slots.filter((s) => s.proc !== undefined && hasProcess(s.child) && !s.child.stopping);
    return this.live.send(running, settings, timeoutMs);
  }

  /** Drains and stops every replica (SIGTERM, SIGKILL after the drain timeout). */
  async stopAll(): Promise<void> {
    this.closed = true;
    this.stopProbes?.();
    const exits = this.slots.map(async (s) => s.proc?.exited);
    for (const slot of [...this.slots]) this.dispatch(slot, { type: 'retire' });
    await Promise.all(exits);
    this.changes.raise();
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
      else performSlotAction(this.actionHost, slot, a);
    }
    if (routing) this.routed = this.o.onSetChange();
    if (place || holdsResources.has(before) !== holdsResources.has(state.phase)) this.place();
    if (actions.some((a) => a.type === 'drain')) void this.drain(slot);
    this.changes.raise();
  }

  /** Places every pending slot that fits on what the others leave free. */
  private place(): void {
    if (this.closed) return;
    placeSlots(this.slots, {
      profile: this.o.inForce.profile,
      oversubscribe: this.o.oversubscribe,
      downHosts: this.o.downHosts?.() ?? [],
      hosts: typeof this.o.hosts === 'function' ? this.o.hosts() : this.o.hosts,
      dispatch: (slot, e) => this.dispatch(slot, e),
      warn: (message) => {
        if (this.warnings.includes(message)) return;
        this.warnings.push(message);
        this.o.onEvent({ level: 'warn', kind: 'oversubscribed', message });
      },
    });
  }

  /** Out of routing first (the gateway acknowledges the new set), then SIGTERM so it finishes its work. */
  private async drain(slot: ReplicaSlot): Promise<void> {
    const proc = slot.proc;
    await this.routed;
    await proc?.stop(this.o.inForce.profile.drainTimeoutMs);
  }
}
