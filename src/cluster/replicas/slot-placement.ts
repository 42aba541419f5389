// Placing replica slots on hosts (control plane): the pending ones go where the slots already
// holding resources leave room (placement.ts is the pure packing); what does not fit stays pending
// with the reason, naming hosts that are down.
import type { Profile } from '../../profile/types.js';
import { placeReplicas, type HostCapacity } from '../placement/index.js';
import type { ReplicaSlot } from './slot.js';
import type { ChildEvent, ChildPhase } from './child-state.js';

/** Phases in which a slot holds its host's resources (a restarting one comes back to the same host). */
export const holdsResources: ReadonlySet<ChildPhase> = new Set([
  'starting',
  'ready',
  'unhealthy',
  'draining',
  'restarting',
]);

export interface PlacementInputs {
  profile: Profile;
  hosts: HostCapacity[];
  oversubscribe: boolean;
  /** Hosts down now, with why. */
  downHosts: string[];
  dispatch(slot: ReplicaSlot, event: ChildEvent): void;
  /** An oversubscription warning (shown once). */
  warn(message: string): void;
}

/** Places every pending (or lost) slot of `slots` that fits. */
export function placeSlots(slots: readonly ReplicaSlot[], p: PlacementInputs): void {
  const r = p.profile.resources;
  const placed = slots
    .filter((s) => holdsResources.has(s.child.phase))
    .map((s) => ({ host: s.host ?? '', ...(s.gpus ? { gpus: s.gpus } : {}) }));
  const pending = slots.filter((s) => !s.child.stopping && (s.child.phase === 'pending' || s.child.phase === 'lost'));
  if (pending.length === 0) return;
  const request = {
    cpus: r.cpus,
    memoryBytes: r.memoryBytes,
    gpus: r.gpus,
    ...(r.gpuMemoryBytes === undefined ? {} : { gpuMemoryBytes: r.gpuMemoryBytes }),
  };
  const result = placeReplicas(p.hosts, request, pending.length, { oversubscribe: p.oversubscribe, placed });
  pending.forEach((slot, i) => {
    const spot = result.slots[i]!;
    if (spot.host === undefined) {
      const down = p.downHosts.length > 0 ? `; down: ${p.downHosts.join(', ')}` : '';
      return p.dispatch(slot, { type: 'unplaced', reason: `${spot.reason ?? 'no host'}${down}` });
    }
    if (spot.oversubscribed) p.warn(`${slot.id} oversubscribes ${spot.host}`);
    slot.host = spot.host;
    slot.gpus = spot.gpus;
    p.dispatch(slot, { type: 'place' });
  });
}
