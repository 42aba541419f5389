// Starting a rollout's new replicas (control plane): blue-green when placement fits both versions;
// when it does not, old replicas are drained one at a time until a new one is placed and ready.
// A new replica that exits or fails to start fails the rollout before any traffic moves to it.
import type { Clock } from '../../common/clock.js';
import type { ReplicaStatus } from '../../common/cluster-status.js';

export interface StartHost {
  clock: Clock;
  replicas(): ReplicaStatus[];
  /** Resolves at the next change of any replica: every wait below is on it, nothing polls. */
  replicasChanged(): Promise<void>;
  changeVersion(version: number, add: number, retire?: number): void;
}

/** At most this long for replicas already on their way before the new ones are added. */
const SETTLE_MS = 30_000;
const ON_THE_WAY = new Set(['starting', 'restarting', 'unhealthy']);

/** Adds `n` replicas of `to` beside those of `from`; resolves once they are ready, or why not. */
export async function startNewReplicas(
  h: StartHost,
  from: number,
  to: number,
  n: number,
  cancelled: () => boolean,
  /** Resolves when `cancelled()` may have become true (the rollout's phase changed or it closed). */
  whenCancelled: () => Promise<void>,
): Promise<{ ok: boolean; message: string }> {
  const until = (holds: () => boolean, withinMs = Infinity) =>
    waitUntil(h, () => cancelled() || holds(), whenCancelled, withinMs);
  // Replicas still starting (a scale-up, the last rollout's) would be taken for missing room.
  await until(() => !h.replicas().some((r) => ON_THE_WAY.has(r.state) || r.state === 'draining'), SETTLE_MS);
  h.changeVersion(to, n);
  let replaced = 0;
  // Placement is synchronous: a look right after a change of version sees each new replica starting,
  // or pending with its reason; other looks wait for the next change of any replica.
  let lookNow = true;
  for (;;) {
    if (!lookNow) await Promise.race([h.replicasChanged(), whenCancelled()]);
    lookNow = false;
    if (cancelled()) return { ok: false, message: 'cancelled' };
    const all = h.replicas();
    const fresh = all.filter((r) => r.version === to && r.state !== 'draining' && r.state !== 'stopped');
    // Once one has ended badly, a new version will not start any better: report its own error line.
    const broken = fresh.find((r) => r.restarts > 0 || r.state === 'failed' || r.state === 'restarting');
    if (broken)
      return {
        ok: false,
        message:
          `version ${to}'s ${broken.id} did not start: ` + `${broken.lastError ?? broken.reason ?? broken.state}`,
      };
    if (fresh.some((r) => ON_THE_WAY.has(r.state))) continue;
    const ready = fresh.filter((r) => r.state === 'ready').length;
    const pending = fresh.filter((r) => r.state === 'pending');
    const oldReady = all.filter((r) => r.version === from && r.state === 'ready').length;
    if (ready > 0) {
      const how =
        replaced > 0
          ? `after draining ${replaced} of version ${from} to make room`
          : pending.length === 0
            ? `beside the ${oldReady} of version ${from} (blue-green)`
            : `beside version ${from}`;
      const waiting =
        pending.length > 0
          ? `; ${pending.length} more ${pending.length === 1 ? 'starts' : 'start'} as the ` + `old ones drain`
          : '';
      return {
        ok: true,
        message: `${ready} replica${ready === 1 ? '' : 's'} of version ${to} ready ${how}` + `${waiting}`,
      };
    }
    if (pending.length === 0) return { ok: false, message: `no replica of version ${to} became ready` };
    // Both versions do not fit: make room by draining one old replica at a time, never the last one.
    if (oldReady <= 1)
      return {
        ok: false,
        message:
          `version ${to} does not fit beside the last replica of version ${from}: ` +
          `${pending[0]!.reason ?? 'pending'}`,
      };
    h.changeVersion(from, 0, 1);
    replaced++;
    // Wait for the freed room to be used before deciding again.
    await until(() => !h.replicas().some((r) => r.version === from && r.state === 'draining'));
    lookNow = true;
  }
}

/** Resolves once `holds()` (looked at now and at each change), or after `withinMs`. */
async function waitUntil(
  h: StartHost,
  holds: () => boolean,
  wake: () => Promise<void>,
  withinMs: number,
): Promise<void> {
  let timer: ReturnType<Clock['setTimer']> | undefined;
  let timedOut = false;
  const deadline =
    withinMs === Infinity
      ? new Promise<void>(() => undefined)
      : new Promise<void>((resolve) => (timer = h.clock.setTimer(() => ((timedOut = true), resolve()), withinMs)));
  try {
    while (!holds() && !timedOut) await Promise.race([h.replicasChanged(), wake(), deadline]);
  } finally {
    if (timer !== undefined) h.clock.clearTimer(timer);
  }
}
