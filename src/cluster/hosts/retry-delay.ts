// How long a lost host waits before it is tried again (control plane, hosts, pure): exponential
// backoff from the keep-alive period, doubled per failed attempt, capped, with jitter so hosts lost
// together (a switch, a rack) are not all retried in the same instant.

/**
 * The longest wait between two attempts at a lost host: 20 s, so that a host that has been down
 * for long (or since `serve up`) joins within 30 s of its sshd starting, preparation included.
 */
export const HOST_RETRY_CAP_MS = 20_000;

/**
 * The wait before attempt `failures + 1` (`failures` in a row so far, 0 after a success): the
 * ceiling `min(capMs, baseMs x 2^failures)`, of which a random half is kept (`random()` in [0, 1)
 * picks a point in [ceiling / 2, ceiling)). Pure: the caller injects `random`.
 */
export function hostRetryDelayMs(
  failures: number,
  baseMs: number,
  random: () => number,
  capMs = HOST_RETRY_CAP_MS,
): number {
  const ceilingMs = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, failures), 40));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * r);
}
