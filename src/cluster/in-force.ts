// What is in force in a running cluster (control plane, shared by every concern folder): the profile
// (a schedule switch or a live reconfiguration replaces it), the model version new replicas run (a
// completed rollout changes it) and the schedule it runs under, with one change signal. Nothing keeps
// a copy of the profile: each part reads `inForce.profile` when it acts; a part that must act on a
// change (the autoscaler's policy, the probe period) subscribes with onChange; a waiter awaits next().
import { ChangeSignal } from '../common/change-signal.js';
import type { Profile } from '../profile/types.js';

/** One change: what changed, and the profile that was in force before it. */
export interface InForceChange {
  what: 'profile' | 'modelVersion';
  previous: Profile;
}

export class InForce {
  private readonly signal = new ChangeSignal();
  private readonly listeners: Array<(c: InForceChange) => void> = [];

  constructor(
    private current: Profile,
    private version: number,
    /** The schedule's name when the cluster runs under one (its profiles take turns in force). */
    readonly scheduleName?: string,
  ) {}

  /** The profile in force now. */
  get profile(): Profile {
    return this.current;
  }

  /** The model version new replicas run (restarts and scale-ups included). */
  get modelVersion(): number {
    return this.version;
  }

  /** The name `serve status` and the journal show: the schedule's, else the profile's. */
  get name(): string {
    return this.scheduleName ?? this.current.name;
  }

  /** Puts `to` in force (a schedule switch, a live reconfiguration); returns the one it replaced. */
  setProfile(to: Profile): Profile {
    const previous = this.current;
    this.current = to;
    this.changed({ what: 'profile', previous });
    return previous;
  }

  /** A completed rollout: new replicas run `version` from now on. */
  adoptVersion(version: number): void {
    if (version === this.version) return;
    this.version = version;
    this.changed({ what: 'modelVersion', previous: this.current });
  }

  /** Calls `listener` at every change, synchronously, before waiters wake; returns the unsubscribe. */
  onChange(listener: (c: InForceChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Resolves at the next change. */
  next(): Promise<void> {
    return this.signal.next();
  }

  private changed(c: InForceChange): void {
    for (const l of [...this.listeners]) l(c);
    this.signal.raise();
  }
}
