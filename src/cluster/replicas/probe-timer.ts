// The supervisor's probe period (control plane): probes run every health.period_ms of the profile in
// force, and at the new period once a profile with another one is put in force.
import { every, type Clock } from '../../common/clock.js';
import type { InForce } from '../in-force.js';

/** Runs `probe` every probe period of the profile in force; returns the stop. */
export function probeEvery(inForce: InForce, clock: Clock, probe: () => void | Promise<void>): () => void {
  let periodMs = inForce.profile.health.periodMs;
  let stopTimer = every(clock, periodMs, probe, { unref: true });
  const unsubscribe = inForce.onChange(() => {
    if (inForce.profile.health.periodMs === periodMs) return;
    periodMs = inForce.profile.health.periodMs;
    stopTimer();
    stopTimer = every(clock, periodMs, probe, { unref: true });
  });
  return () => {
    unsubscribe();
    stopTimer();
  };
}
