// What `serve tune --write` changes in a profile, and the capacity guard (tune, pure): the tuned
// values become field edits, each with its old and new value (the diff printed to stderr and in
// --json as `changes`); without --allow-capacity-change, replicas.min and replicas.initial are never
// lowered below the profile's own, since a tune on a busy laptop must not cut production capacity
// (a schedule's capacity is the replicas.min of the profiles it names, so it is guarded the same way).
import { formatDuration } from '../profile/fields/fields.js';
import type { ProfileEdit } from '../profile/edit.js';
import type { Profile } from '../profile/types.js';
import type { TuneConfig } from './types.js';

/** One field the written profile changes: "replicas.min: 5 -> 1". */
export interface FieldChange {
  field: string;
  from: string | number;
  to: string | number;
}

/** The edits to write, the changes they make, and the capacity cuts held back. */
export interface WritePlan {
  edits: ProfileEdit[];
  /** Only fields whose value changes. */
  changes: FieldChange[];
  /** Capacity fields tune would have lowered but kept at the profile's value (empty with the flag). */
  kept: FieldChange[];
}

type PlanProfile = Pick<Profile, 'batching' | 'runtime' | 'resources' | 'replicas'>;

/** The plan of `--write` for `c` on `profile`; `allowCapacityChange` lets replicas.min/initial go down. */
export function planWrite(profile: PlanProfile, c: TuneConfig, allowCapacityChange: boolean): WritePlan {
  const fields: Array<{ path: [string, string]; from: string | number; to: string | number; capacity?: boolean }> = [
    { path: ['batching', 'max_batch_size'], from: profile.batching.maxBatchSize, to: c.maxBatchSize },
    {
      path: ['batching', 'batch_wait_timeout'],
      from: formatDuration(profile.batching.batchWaitMs),
      to: formatDuration(c.batchWaitMs),
    },
    { path: ['runtime', 'threads'], from: profile.runtime.threads, to: c.threads },
    { path: ['resources', 'cpus'], from: profile.resources.cpus, to: c.threads },
    { path: ['replicas', 'min'], from: profile.replicas.min, to: c.replicas, capacity: true },
    { path: ['replicas', 'initial'], from: profile.replicas.initial, to: c.replicas, capacity: true },
  ];
  const max = Math.max(profile.replicas.max, c.replicas);
  fields.push({ path: ['replicas', 'max'], from: profile.replicas.max, to: max });
  const plan: WritePlan = { edits: [], changes: [], kept: [] };
  for (const f of fields) {
    const change = { field: f.path.join('.'), from: f.from, to: f.to };
    if (f.capacity && !allowCapacityChange && Number(f.to) < Number(f.from)) {
      plan.kept.push(change);
      continue;
    }
    if (f.from === f.to) continue;
    plan.edits.push({ path: f.path, value: f.to });
    plan.changes.push(change);
  }
  return plan;
}

/** "replicas.min: 5 -> 1", one line per change; "no field changes" when there is none. */
export function changesText(changes: readonly FieldChange[]): string[] {
  if (changes.length === 0) return ['no field changes'];
  return changes.map((c) => `${c.field}: ${c.from} -> ${c.to}`);
}

/** The one line saying what the guard kept, or undefined when it kept nothing. */
export function keptText(kept: readonly FieldChange[]): string | undefined {
  if (kept.length === 0) return undefined;
  const fields = kept.map((k) => `${k.field} ${k.from}`).join(' and ');
  return (
    `kept ${fields} (tune chose ${kept[0]!.to} replica${kept[0]!.to === 1 ? '' : 's'}: ` +
    `--allow-capacity-change writes fewer than the profile's own)`
  );
}
