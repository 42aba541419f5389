// One probe period's look at a replica (control plane): its RSS against the memory limit and its
// readiness probe, turned into supervised-child events for the supervisor to dispatch.
import { formatBytes } from '../../common/units.js';
import type { Profile } from '../../profile/types.js';
import { probeReady } from './http-probe.js';
import type { ReplicaSlot } from './slot.js';
import type { ChildEvent } from './child-state.js';

/**
 * Reads `slot`'s process (on this machine; `pid` undefined for one on an SSH host) and probes it
 * when ready, with the cluster token; the events say what was found.
 */
export async function checkSlot(
  slot: ReplicaSlot,
  pid: number | undefined,
  profile: Profile,
  token?: string,
): Promise<ChildEvent[]> {
  const events: ChildEvent[] = [];
  const rss = pid === undefined ? undefined : await slot.readings.read(pid);
  const limit = profile.resources.memoryBytes;
  if (rss !== undefined && limit > 0 && rss > limit) {
    events.push({ type: 'over-limit', why: `RSS ${formatBytes(rss)} over its memory limit ${formatBytes(limit)}` });
    return events;
  }
  if (slot.child.phase !== 'ready' || !slot.url) return events;
  const r = await probeReady(slot.url, profile.health.timeoutMs, token);
  events.push({ type: 'probe', ok: r.ok, error: r.error });
  return events;
}

/** One probe period over every slot with a process; a slot still being checked is skipped, stale answers dropped. */
export async function checkSlots(
  slots: readonly ReplicaSlot[],
  profile: Profile,
  dispatch: (slot: ReplicaSlot, e: ChildEvent) => void,
  token?: string,
): Promise<void> {
  await Promise.all(
    slots.map(async (slot) => {
      const proc = slot.proc;
      if (!proc || (!proc.remote && !proc.pid) || slot.probing) return;
      slot.probing = true;
      try {
        for (const event of await checkSlot(slot, proc.remote ? undefined : proc.pid, profile, token))
          if (slot.proc === proc) dispatch(slot, event);
      } finally {
        slot.probing = false;
      }
    }),
  );
}
