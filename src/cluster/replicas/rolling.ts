// Rolling replacement of replicas (control plane): every replica launched with older settings is
// replaced by one launched with the current settings, one at a time, so capacity never drops and no
// request fails (a schedule switch that changes batching uses it).
import type { ClusterEvent } from '../events.js';
import type { ReplicaSlot } from './slot.js';
import { hasProcess } from './child-state.js';

/** What a roll needs of the supervisor. */
export interface RollHost {
  /** True once the supervisor stops. */
  closed(): boolean;
  slots(): readonly ReplicaSlot[];
  /** Adds a slot and places it (pending when there is no room). */
  addSlot(): ReplicaSlot;
  retire(slot: ReplicaSlot): void;
  /** Resolves at the next change of any slot. */
  whenChanged(): Promise<void>;
  onEvent(e: ClusterEvent): void;
}

/**
 * Replaces every replica launched before `generation`: a new replica starts, and once it is ready
 * the old one is taken out of routing and drained. When the new one cannot be placed (no room for
 * one more), the old one drains first and the new one takes its place. Stops when `current()` turns
 * false (a later roll superseded this one) or the supervisor closes.
 */
export async function rollReplicas(host: RollHost, generation: number, current: () => boolean): Promise<void> {
  const until = async (check: () => boolean) => {
    while (!host.closed() && !check()) await host.whenChanged();
  };
  for (;;) {
    if (host.closed() || !current()) return;
    const old = host.slots().find((s) => !s.child.stopping && s.generation < generation && hasProcess(s.child));
    if (!old) return;
    if (old.child.phase !== 'ready') {
      // Starting with the old settings: wait until it is ready (then it is replaced) or gone.
      await host.whenChanged();
      continue;
    }
    const fresh = host.addSlot();
    if (fresh.child.phase === 'pending') host.retire(old);
    await until(() => !['starting', 'pending', 'restarting'].includes(fresh.child.phase));
    if (fresh.child.phase !== 'ready') {
      const why = `${fresh.id} is ${fresh.child.phase}` + `${fresh.child.reason ? ` (${fresh.child.reason})` : ''}`;
      host.onEvent({ level: 'warn', kind: 'roll', message: `rolling replacement stopped: ${why}` });
      return;
    }
    if (!old.child.stopping) host.retire(old);
    host.onEvent({ level: 'info', kind: 'roll', message: `${fresh.id} replaces ${old.id} with the new settings` });
  }
}
