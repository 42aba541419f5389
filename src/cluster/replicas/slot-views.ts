// What the supervisor's replica slots add up to (control plane): the set the gateway routes to, and
// the requests in flight and queued at the ready replicas (the autoscaler's load signal), and what
// the journal keeps of each so that a later controller can adopt it.
import type { JournalChild } from '../../common/controller-journal.js';
import type { ReplicaEndpoint } from '../../common/wire.js';
import { hasProcess } from './child-state.js';
import type { ReplicaSlot } from './slot.js';

/** The set to hand to the gateway: every replica that is listening, ready or not. */
export function replicaEndpoints(slots: readonly ReplicaSlot[]): ReplicaEndpoint[] {
  return slots
    .filter((s) => s.proc !== undefined && s.url !== undefined && hasProcess(s.child))
    .map((s) => ({
      id: s.id,
      url: s.url!,
      ready: s.child.phase === 'ready',
      version: String(s.modelVersion),
      ...(s.modelDigest === undefined ? {} : { modelDigest: s.modelDigest }),
      ...(s.frameSocket === undefined ? {} : { frameSocket: s.frameSocket }),
      ...(s.frameAddress === undefined ? {} : { frameAddress: s.frameAddress }),
    }));
}

/** Requests in flight at the ready replicas and waiting in their queues, scraped from their /metrics now. */
export async function sampleReadyLoad(
  slots: readonly ReplicaSlot[],
  timeoutMs: number,
  authToken: string | undefined,
): Promise<{ inFlight: number; queued: number } | undefined> {
  const ready = slots.filter((s) => s.child.phase === 'ready' && s.url);
  const values = await Promise.all(ready.map((s) => s.scrapeLoad(timeoutMs, authToken)));
  const known = values.filter((v) => v !== undefined);
  if (known.length === 0) return undefined;
  return { inFlight: known.reduce((a, v) => a + v.inFlight, 0), queued: known.reduce((a, v) => a + v.queued, 0) };
}

/**
 * What the journal keeps of a replica so that a controller after this one can adopt it (on an SSH
 * host: its socket there and its start time there, which /proc here cannot tell). A replica on an
 * SSH host that is not ready yet gets its start time there alone, as soon as the host said it: so a
 * `serve down` or an adoption after a dead controller can tell it is still ours and stop it.
 */
export function adoptableOf(s: ReplicaSlot | undefined): Partial<JournalChild> | undefined {
  const start = s?.proc?.remote && s.proc.startTicks !== undefined ? { startTicks: s.proc.startTicks } : undefined;
  if (!s?.proc?.controlSocket || s.child.phase !== 'ready') return start;
  return {
    controlSocket: s.proc.controlSocket,
    ...start,
    ...(s.url === undefined ? {} : { url: s.url }),
    ...(s.port === undefined ? {} : { port: s.port }),
    ...(s.host === undefined ? {} : { placedOn: s.host }),
    ...(s.gpus ? { gpus: s.gpus } : {}),
    ...(s.device === undefined ? {} : { device: s.device }),
    modelVersion: s.modelVersion,
    ...(s.modelDigest === undefined ? {} : { modelDigest: s.modelDigest }),
    ...(s.frameSocket === undefined ? {} : { frameSocket: s.frameSocket }),
    ...(s.frameAddress === undefined ? {} : { frameAddress: s.frameAddress }),
  };
}
