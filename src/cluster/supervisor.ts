// The replica supervisor (control plane): keeps the wanted number of replicas placed and running,
// probes them, replaces those that exit, hang or outgrow their memory (with backoff and crash-loop
// detection), and drains those scaled away. Decisions come from the pure cores it wires together.
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { ProcessEvent, ReplicaEndpoint } from '../common/wire.js';
import type { Profile } from '../profile/types.js';
import { formatBytes } from '../common/units.js';
import type { ExitInfo, Launcher } from './launcher.js';
import { placeReplicas, type HostCapacity } from './placement.js';
import { ReplicaSlot, scaleDownOrder } from './replica-slot.js';
import { probeReady } from './http-probe.js';
import type { ClusterEvent } from './events.js';
import type { ReplicaStatus } from './status.js';

export interface SupervisorOptions {
  profile: Profile;
  launcher: Launcher;
  clock: Clock;
  hosts: HostCapacity[];
  oversubscribe: boolean;
  /** Command line of the replica with this id. */
  replicaCommand(id: string): { command: string; args: string[] };
  log: Logger;
  /** Raw output lines of a replica, for its log file. */
  onOutput(id: string, line: string): void;
  /** The replica set the gateway should see has changed. */
  onSetChange(): void;
  onEvent(event: ClusterEvent): void;
}

export class Supervisor {
  private slots: ReplicaSlot[] = [];
  private nextIndex = 1;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Placement warnings (oversubscription), shown by status. */
  warnings: string[] = [];

  constructor(private readonly o: SupervisorOptions) {}

  /** Starts the periodic probes and resource checks. */
  startProbing(): void {
    this.probeTimer = setInterval(() => void this.tick(), this.o.profile.health.periodMs);
    this.probeTimer.unref();
  }

  /** Replica slots the supervisor aims for (running, pending, restarting or failed). */
  get desired(): number {
    return this.slots.filter((s) => !s.stopping).length;
  }

  /** Sets the number of replicas: adds slots (placed or pending) or drains the least useful. */
  setReplicas(n: number): void {
    if (this.closed) return;
    const keep = this.slots.filter((s) => !s.stopping);
    for (let i = keep.length; i < n; i++) this.slots.push(this.newSlot());
    if (keep.length > n) for (const slot of scaleDownOrder(keep).slice(0, keep.length - n)) void this.retire(slot);
    this.place();
  }

  /** The set to hand to the gateway: every replica that is listening, ready or not. */
  endpoints(): ReplicaEndpoint[] {
    return this.slots
      .filter((s) => s.running && s.url !== undefined)
      .map((s) => ({ id: s.id, url: s.url!, ready: s.state === 'ready' && !s.stopping }));
  }

  status(): ReplicaStatus[] {
    return this.slots.map((s) => s.toStatus());
  }

  /** True once no placed replica is still starting (each is ready, failed, or pending). */
  settled(): boolean {
    // 'unhealthy' is on its way to a restart (killed, not yet exited): not settled either.
    return this.slots.every((s) => s.state !== 'starting' && s.state !== 'restarting' && s.state !== 'unhealthy');
  }

  /** Sum of in-flight requests over ready replicas, scraped from their /metrics now. */
  async sampleInFlight(timeoutMs: number): Promise<number | undefined> {
    const ready = this.slots.filter((s) => s.state === 'ready' && s.url);
    const values = await Promise.all(ready.map((s) => s.scrapeInFlight(timeoutMs)));
    const known = values.filter((v): v is number => v !== undefined);
    return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
  }

  /** Drains and stops every replica (SIGTERM, SIGKILL after `graceMs`). */
  async stopAll(graceMs: number): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    await Promise.all(this.slots.map((s) => this.retire(s, graceMs)));
  }

  private newSlot(): ReplicaSlot {
    const p = this.o.profile;
    return new ReplicaSlot(this.nextIndex++, p.health.failureThreshold, p.restart, this.o.clock);
  }

  /** Recomputes placement over the slots that want a host and starts the newly placed ones. */
  private place(): void {
    const wanting = this.slots.filter((s) => !s.stopping && s.state !== 'failed');
    const r = this.o.profile.resources;
    const result = placeReplicas(this.o.hosts, { cpus: r.cpus, memoryBytes: r.memoryBytes, gpus: r.gpus }, wanting.length, {
      oversubscribe: this.o.oversubscribe,
    });
    for (const w of result.warnings) {
      if (!this.warnings.includes(w)) {
        this.warnings.push(w);
        this.o.onEvent({ level: 'warn', kind: 'oversubscribed', message: w });
      }
    }
    wanting.forEach((slot, i) => {
      const spot = result.slots[i]!;
      if (slot.state !== 'pending') return;
      if (spot.host === undefined) {
        if (slot.reason !== spot.reason) this.o.onEvent({ level: 'warn', kind: 'pending', id: slot.id, message: `${slot.id} pending: ${spot.reason}` });
        slot.reason = spot.reason;
      } else {
        slot.reason = undefined;
        this.launch(slot);
      }
    });
  }

  private launch(slot: ReplicaSlot): void {
    if (this.closed || slot.stopping) return;
    const { command, args } = this.o.replicaCommand(slot.id);
    slot.state = 'starting';
    slot.url = undefined;
    slot.failWhy = undefined;
    slot.probe.reset();
    slot.cpuSample = undefined;
    const proc = this.o.launcher.start({
      id: slot.id,
      command,
      args,
      onEvent: (e) => this.onProcessEvent(slot, e),
      onLine: (line) => this.o.onOutput(slot.id, line),
    });
    slot.proc = proc;
    this.o.log.info('replica started', { replica: slot.id, pid: proc.pid, restarts: slot.restarts });
    const startupMs = this.o.profile.health.startupTimeoutMs;
    slot.clearTimer();
    slot.timer = setTimeout(() => {
      if (slot.proc === proc && slot.state === 'starting') this.fail(slot, `not ready within ${startupMs}ms`, 'kill');
    }, startupMs);
    void proc.exited.then((info) => this.onExit(slot, proc, info));
  }

  private onProcessEvent(slot: ReplicaSlot, e: ProcessEvent): void {
    if (e.event === 'listening') {
      slot.url = e.url;
      slot.port = e.port;
      this.o.onSetChange();
    } else if (e.event === 'ready') {
      if (slot.state !== 'starting') return;
      slot.clearTimer();
      slot.state = 'ready';
      slot.reason = undefined;
      slot.device = e.device ?? slot.device;
      slot.readyAtMs = this.o.clock.nowMs();
      slot.restart.healthy();
      this.o.onEvent({ level: 'info', kind: 'ready', id: slot.id, message: `${slot.id} ready on ${slot.url ?? '?'}` });
      this.o.onSetChange();
    } else if (e.event === 'fatal') {
      slot.failWhy = `fatal: ${e.error}`;
    }
  }

  private onExit(slot: ReplicaSlot, proc: unknown, info: ExitInfo): void {
    if (slot.proc !== proc) return;
    slot.proc = undefined;
    slot.url = undefined;
    slot.clearTimer();
    const how = info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
    if (slot.stopping) {
      slot.state = 'stopped';
      this.slots = this.slots.filter((s) => s !== slot);
      this.o.log.info('replica stopped', { replica: slot.id, how });
      this.o.onSetChange();
      this.place();
      return;
    }
    const why = slot.failWhy ?? how;
    const decision = slot.restart.failed(why);
    if (decision.action === 'fail') {
      slot.state = 'failed';
      slot.reason = decision.reason;
      this.o.onEvent({ level: 'error', kind: 'failed', id: slot.id, message: `${slot.id} failed: ${decision.reason}` });
      this.place();
    } else {
      slot.state = 'restarting';
      slot.reason = why;
      this.o.onEvent({
        level: 'warn', kind: 'restarting', id: slot.id,
        message: `${slot.id} ${why}; restarting in ${Math.round(decision.delayMs)}ms`,
      });
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (slot.stopping || this.closed) return;
        slot.restarts++;
        this.launch(slot);
      }, decision.delayMs);
    }
    this.o.onSetChange();
  }

  /** Takes a replica out of routing and ends its process ('kill' for hung ones, 'drain' otherwise). */
  private fail(slot: ReplicaSlot, why: string, how: 'kill' | 'drain'): void {
    const proc = slot.proc;
    if (!proc || slot.state === 'unhealthy') return;
    slot.failWhy = why;
    slot.state = 'unhealthy';
    slot.reason = why;
    this.o.onEvent({ level: 'warn', kind: 'unhealthy', id: slot.id, message: `${slot.id} ${why}: replacing it` });
    this.o.onSetChange();
    if (how === 'kill') proc.signal('SIGKILL');
    else void proc.stop(this.o.profile.drainTimeoutMs);
  }

  /** Scales a slot away: out of routing first, then SIGTERM so it finishes what it accepted. */
  private async retire(slot: ReplicaSlot, graceMs = this.o.profile.drainTimeoutMs): Promise<void> {
    slot.stopping = true;
    slot.clearTimer();
    const proc = slot.proc;
    if (!proc) {
      slot.state = 'stopped';
      this.slots = this.slots.filter((s) => s !== slot);
      return;
    }
    slot.state = 'draining';
    this.o.onSetChange();
    // Give the gateway a moment to read the new set before the replica stops accepting.
    await new Promise((r) => setTimeout(r, 100));
    await proc.stop(graceMs);
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    const h = this.o.profile.health;
    await Promise.all(
      this.slots.map(async (slot) => {
        const proc = slot.proc;
        if (!proc || slot.probing) return;
        slot.probing = true;
        try {
          await this.checkResources(slot);
          if (slot.state !== 'ready' || !slot.url || slot.proc !== proc) return;
          const r = await probeReady(slot.url, h.timeoutMs);
          if (slot.proc !== proc || slot.state !== 'ready') return;
          const verdict = slot.probe.record(r.ok);
          if (verdict === 'suspect') this.o.log.warn('probe failed', { replica: slot.id, error: r.error, failures: slot.probe.failures });
          if (verdict === 'failed') this.fail(slot, `failed ${slot.probe.failures} health probes in a row (${r.error})`, 'kill');
        } finally {
          slot.probing = false;
        }
      }),
    );
  }

  private async checkResources(slot: ReplicaSlot): Promise<void> {
    const rss = await slot.readResources();
    const limit = this.o.profile.resources.memoryBytes;
    if (rss !== undefined && limit > 0 && rss > limit && slot.state === 'ready') {
      this.fail(slot, `RSS ${formatBytes(rss)} over its memory limit ${formatBytes(limit)}`, 'drain');
    }
  }
}
