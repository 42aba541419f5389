// Profiles written by `serve tune` (tune): `--write` is the original profile with the chosen values
// (batching, threads and as many CPUs, replicas.initial and replicas.min, never lowered without
// --allow-capacity-change: write-guard.ts), everything else as it was, comments and key order
// included, under a comment saying where and when it was measured (measured-comment.ts); the
// cluster tune starts for itself runs the original with the first candidate's values, a free
// gateway port and autoscaling off (tune sets the count).
import { formatDuration } from '../profile/fields/fields.js';
import { editProfileText, type ProfileEdit } from '../profile/edit.js';
import { parseProfile } from '../profile/parse.js';
import type { Profile } from '../profile/types.js';
import type { TuneConfig } from './types.js';
import { withMeasuredComment } from './measured-comment.js';
import { planWrite, type WritePlan } from './write-guard.js';

function configEdits(c: TuneConfig): ProfileEdit[] {
  return [
    { path: ['batching', 'max_batch_size'], value: c.maxBatchSize },
    { path: ['batching', 'batch_wait_timeout'], value: formatDuration(c.batchWaitMs) },
    { path: ['runtime', 'threads'], value: c.threads },
  ];
}

/** The original profile text with `c` written into it as `plan` allows, under `comment` (for `--write`). */
export function tunedProfileText(
  text: string,
  profile: Profile,
  c: TuneConfig,
  file: string,
  o: { allowCapacityChange: boolean; comment: readonly string[] },
): { text: string } & WritePlan {
  const plan = planWrite(profile, c, o.allowCapacityChange);
  return { ...plan, text: withMeasuredComment(editProfileText(text, plan.edits, file), o.comment) };
}

/** The profile of the cluster `serve tune` starts: the original with `first`'s values, port 0, no autoscaling. */
export function tuningProfileText(text: string, first: TuneConfig, maxReplicas: number, file: string): string {
  return editProfileText(
    text,
    [
      ...configEdits(first),
      { path: ['replicas', 'min'], value: 0 },
      { path: ['replicas', 'max'], value: Math.max(maxReplicas, first.replicas) },
      { path: ['replicas', 'initial'], value: first.replicas },
      { path: ['autoscaling', 'enabled'], value: false },
      { path: ['gateway', 'port'], value: 0 },
    ],
    file,
  );
}

/**
 * Checks written profile text as `serve validate` would (every problem at once, as a ProfileError)
 * and returns the profile it describes. `file` is where it will live (${PROFILE_DIR} is its folder).
 */
export function checkWritten(text: string, file: string): Profile {
  return parseProfile(text, file);
}
