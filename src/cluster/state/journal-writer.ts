// Keeps the controller's journal (controller.json, common/controller-journal.ts) true while it runs
// (control plane): rewritten atomically whenever the children or the rollout's progress change, and
// touched every second as a heartbeat, so a controller killed at any moment leaves a record of what
// it was doing and when. A failed write is logged once and tried again on the next change or beat.
import { every, type Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import {
  JOURNAL_HEARTBEAT_MS,
  type ControllerJournal,
  type JournalChild,
  type JournalRollout,
  type JournalSshHost,
} from '../../common/controller-journal.js';
import type { ClusterStatus } from '../../common/cluster-status.js';
import type { Logger } from '../../common/log.js';
import type { RolloutStatus } from '../../common/rollout.js';
import { readStartTicks } from '../../common/process.js';
import {
  controllerDeath,
  deathLine,
  interruptedRolloutLine,
  type ControllerDeath,
} from '../../common/controller-death.js';
import type { ClusterEvent } from '../events.js';
import { touchJournal, writeJournal, type StatePaths } from './state-dir.js';

export interface JournalSource {
  profile(): string;
  status(): ClusterStatus;
  rollout(): RolloutStatus | undefined;
  /** What adopting the child `id` ("gateway" or a replica's) needs beyond its status (its socket, digest). */
  adoptable?(id: string): Partial<JournalChild> | undefined;
  /** How to reach SSH host `name` again with the system ssh (undefined: not an SSH host). */
  sshHost?(name: string): JournalSshHost | undefined;
  /** The cluster token (kept for the controller that adopts the children). */
  token?(): string;
}

export class JournalWriter {
  private written: string | undefined;
  private failing = false;
  private stopBeat: (() => void) | undefined;
  private started = false;
  private closed = false;
  /** Start times of children by pid (read once: /proc is not free). */
  private readonly ticks = new Map<number, number | undefined>();
  private readonly startTicks = readStartTicks(process.pid);

  /** The controller before this one here, when it died without stopping (its journal, read before ours replaces it). */
  readonly previous: ControllerDeath | undefined;

  /** Call once the state directory is ours (claimStateDir). */
  constructor(
    private readonly paths: StatePaths,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly src: JournalSource,
    private readonly startedAt: string,
  ) {
    this.previous = controllerDeath(paths, false);
  }

  /**
   * Says what became of the previous controller (through `emit`), writes the journal and beats from
   * now on; before this, updates are ignored (the controller is still being built).
   */
  start(emit: (e: ClusterEvent) => void, servingVersion: number): void {
    if (this.previous) emit(previousControllerEvent(this.previous, servingVersion));
    this.started = true;
    this.update();
    this.stopBeat = every(this.clock, JOURNAL_HEARTBEAT_MS, () => this.update(true), { unref: true });
  }

  /** No more writes (the caller then releases the state directory, which removes the journal). */
  stop(): void {
    this.closed = true;
    this.stopBeat?.();
  }

  /** Rewrites the journal if anything in it changed; with `beat`, touches it otherwise. */
  update(beat = false): void {
    if (!this.started || this.closed) return;
    try {
      const text = JSON.stringify(this.journal(), null, 2) + '\n';
      if (text !== this.written) {
        writeJournal(this.paths, text);
        this.written = text;
      } else if (beat) touchJournal(this.paths);
      if (this.failing) this.log.info('controller.json is written again');
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.log.warn('controller.json could not be written (tried again on the next change, every second)', {
          error: errorMessage(err),
        });
      this.failing = true;
      this.written = undefined;
    }
  }

  private journal(): ControllerJournal {
    const s = this.src.status();
    const remote = new Set((s.hosts ?? []).filter((h) => h.ssh !== undefined).map((h) => h.name));
    const children: JournalChild[] = [];
    // The gateway's process is its socket holder (the serving process is the holder's child).
    const g = s.gateway.holderPid ?? s.gateway.pid;
    if (g) children.push({ ...this.child('gateway', g, undefined), ...this.src.adoptable?.('gateway') });
    for (const r of s.replicas)
      if (r.pid) {
        const host = r.host !== undefined && remote.has(r.host) ? r.host : undefined;
        // On an SSH host the start time is the one the host said (adoptable), never this machine's /proc.
        children.push({ ...this.child(r.id, r.pid, host), ...this.src.adoptable?.(r.id) });
      }
    for (const pid of this.ticks.keys()) if (!children.some((c) => c.pid === pid)) this.ticks.delete(pid);
    const rollout = this.rollout();
    const sshHosts = this.sshHosts(children);
    return {
      version: 1,
      pid: process.pid,
      ...(this.startTicks === undefined ? {} : { startTicks: this.startTicks }),
      startedAt: this.startedAt,
      profile: this.src.profile(),
      children,
      ...(rollout ? { rollout } : {}),
      modelVersion: s.model.version,
      ...(sshHosts ? { sshHosts } : {}),
      ...(this.src.token ? { token: this.src.token() } : {}),
    };
  }

  /** How to reach each SSH host a child runs on, so `serve down` can stop it without us. */
  private sshHosts(children: readonly JournalChild[]): Record<string, JournalSshHost> | undefined {
    const hosts: Record<string, JournalSshHost> = {};
    for (const c of children) {
      const h = c.host === undefined ? undefined : this.src.sshHost?.(c.host);
      if (h) hosts[c.host!] = h;
    }
    return Object.keys(hosts).length > 0 ? hosts : undefined;
  }

  private child(id: string, pid: number, host: string | undefined): JournalChild {
    if (host !== undefined) return { id, pid, host };
    if (!this.ticks.has(pid)) this.ticks.set(pid, readStartTicks(pid));
    const startTicks = this.ticks.get(pid);
    return { id, pid, ...(startTicks === undefined ? {} : { startTicks }) };
  }

  private rollout(): JournalRollout | undefined {
    const r = this.src.rollout();
    if (!r || r.phase === 'completed' || r.phase === 'rolled-back') return undefined;
    return {
      model: r.model,
      fromVersion: r.fromVersion,
      toVersion: r.toVersion,
      phase: r.phase,
      step: r.step,
      steps: r.stepsPercent.length,
      percent: r.weights[r.toVersion] ?? 0,
    };
  }
}

/** What a new controller says of the one before it that died: when, and the rollout it left unfinished. */
export function previousControllerEvent(d: ControllerDeath, servingVersion: number): ClusterEvent {
  const r = d.rollout;
  const rollout = r
    ? `; it was ${interruptedRolloutLine(r)}. This cluster serves version ` +
      `${servingVersion}: roll out again with \`serve rollout ${r.model}@${r.toVersion}\``
    : '';
  return { level: 'warn', kind: 'previous-controller', message: `${deathLine(d)}${rollout}` };
}
