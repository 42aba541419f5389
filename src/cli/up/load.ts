// What `serve up` starts from (cli): its flags, and the profile to start with (a schedule's active
// one) and the schedule, loaded and checked before anything is started.
import { activeProfile } from '../../profile/schedule/schedule.js';
import { loadProfileOrSchedule } from '../../profile/schedule/load.js';
import type { Profile } from '../../profile/types.js';
import { formatProblem, sortProblems } from '../../profile/problems.js';
import type { ClusterSchedule } from '../../cluster/controller/index.js';
import { enforceCertificates } from '../certificates.js';

/** The flags of `serve up` as commander hands them over. */
export interface UpFlags {
  profile: string;
  stateDir: string;
  detach?: boolean;
  oversubscribe?: boolean;
  allowDegraded?: boolean;
  registry?: string;
  json?: boolean;
  detachedChild?: boolean;
  printSystemdUnit?: boolean;
}

/** The profile to start with (a schedule's active one) and the schedule, if `ref` names one. */
export async function loadForUp(ref: string): Promise<{ profile: Profile; schedule?: ClusterSchedule }> {
  // A broken profile or schedule throws here, before anything is started.
  const loaded = await loadProfileOrSchedule(ref, { cwd: process.cwd(), env: process.env });
  enforceCertificates(loaded.kind === 'profile' ? [loaded.profile] : Object.values(loaded.schedule.profiles), (line) =>
    process.stderr.write(`${line}\n`),
  );
  if (loaded.kind === 'profile') return { profile: loaded.profile };
  const s = loaded.schedule;
  for (const w of sortProblems(s.warnings)) process.stderr.write(`serve: warning: ${formatProblem(w)}\n`);
  return { profile: s.profiles[activeProfile(s.schedule, new Date())]!, schedule: s };
}
