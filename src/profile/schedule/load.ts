// Loads a schedule file and every profile it names (control plane): names are found as --profile
// finds them, but next to the schedule file first; each named profile is validated in full, and
// all must serve the same model and differ only in what a running cluster can switch.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, errorMessage } from '../../common/errors.js';
import { listProfiles, readProfileFile, resolveProfileRef, shippedProfilesDir, type LoadOptions } from '../load.js';
import { displayName } from '../display-name.js';
import { parseProfile } from '../parse.js';
import { ProfileError, closest, type ProfileProblem } from '../problems.js';
import type { ProfileSchedule } from './schedule.js';
import { checkScheduleFile, isScheduleText, type ScheduleSpec } from './file.js';
import type { Profile } from '../types.js';

/** A validated schedule with every profile it names, loaded. */
export interface LoadedSchedule {
  name: string;
  /** Absolute path of the schedule file. */
  sourcePath: string;
  schedule: ProfileSchedule;
  /** Every profile the schedule names, by the name it uses. */
  profiles: Record<string, Profile>;
  /** Legal but surely unmeant (a window that never applies, a closed date listed twice), located; print them. */
  warnings: ProfileProblem[];
}

/** Sections a running cluster switches at a boundary; every other one must be the same in each profile. */
export const SWITCHED_SECTIONS: readonly string[] = ['replicas', 'autoscaling', 'batching', 'slo'];

/**
 * Parses `text` (the schedule file `file`) and loads the profiles it names. Every problem, in the
 * schedule or in any named profile, is thrown at once as one ProfileError.
 */
export async function loadScheduleText(
  text: string,
  file: string,
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<LoadedSchedule> {
  // The file's own problems and the named profiles' are reported together.
  const checked = checkScheduleFile(text, file, env, cwd);
  const spec = checked.spec;
  const shown = checked.file;
  const problems: ProfileProblem[] = [...checked.problems];
  const profiles: Record<string, Profile> = {};
  const refProblem = (ref: ScheduleSpec['refs'][number], message: string) =>
    problems.push({ file: shown, line: ref.at.line, col: ref.at.col, path: ref.path, message });
  for (const ref of spec.refs) {
    if (ref.name in profiles || problems.some((p) => p.path === ref.path)) continue;
    const found = findNamedProfile(ref.name, path.dirname(spec.sourcePath), cwd);
    if (found === undefined) {
      refProblem(ref, await unknownName(ref.name, path.dirname(spec.sourcePath), cwd));
      continue;
    }
    let profileText: string;
    try {
      profileText = await readFile(found, 'utf8');
    } catch (err) {
      refProblem(ref, `profile "${ref.name}" (${displayName(found, cwd)}) cannot be read: ` + `${errorMessage(err)}`);
      continue;
    }
    if (isScheduleText(profileText)) {
      refProblem(
        ref,
        `"${ref.name}" (${displayName(found, cwd)}) is a schedule itself, expected a ` +
          `single profile: a schedule's windows name profiles, not schedules`,
      );
      continue;
    }
    try {
      profiles[ref.name] = parseProfile(profileText, found, env, cwd);
    } catch (err) {
      if (err instanceof ProfileError) problems.push(...err.problems);
      else refProblem(ref, errorMessage(err));
    }
  }
  const base = profiles[spec.schedule.default];
  if (base && spec.refs[0]?.path === 'schedule.default') {
    for (const ref of spec.refs.slice(1)) {
      const other = profiles[ref.name];
      if (!other || ref.name === spec.schedule.default || problems.some((p) => p.path === ref.path)) continue;
      const why = mismatch(base, other, spec.schedule.default, ref.name);
      if (why) refProblem(ref, why);
    }
  }
  if (problems.length > 0) throw new ProfileError(shown, problems);
  return {
    name: spec.name,
    sourcePath: spec.sourcePath,
    schedule: spec.schedule,
    profiles,
    warnings: checked.warnings,
  };
}

/** Reads and loads the schedule file at `file` (absolute). */
export async function loadScheduleFile(
  file: string,
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<LoadedSchedule> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`schedule file ${displayName(file, cwd)} cannot be read: ${errorMessage(err)}`);
  }
  return loadScheduleText(text, file, cwd, env);
}

/** The file a name inside a schedule points at: next to the schedule, then ./profiles, then shipped. */
export function findNamedProfile(name: string, scheduleDir: string, cwd: string): string | undefined {
  for (const dir of [scheduleDir, path.join(cwd, 'profiles'), shippedProfilesDir()]) {
    for (const ext of ['.yaml', '.yml']) {
      const candidate = path.join(dir, name + ext);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

async function unknownName(name: string, scheduleDir: string, cwd: string): Promise<string> {
  const names = [...new Set((await listProfiles(cwd)).map((p) => p.name))];
  const near = closest(name, names);
  return (
    `unknown profile "${name}": no ${name}.yaml next to the schedule (` +
    `${displayName(scheduleDir, cwd) || '.'}), in ./profiles or among the shipped ` +
    `profiles${near ? `; did you mean "${near}"?` : ''} (available: ` +
    `${names.join(', ') || 'none'})`
  );
}

/**
 * Why `other` cannot be switched to from `base` on a running cluster, or undefined: another model is
 * a rollout, and sections other than SWITCHED_SECTIONS would need every process restarted.
 */
export function mismatch(base: Profile, other: Profile, baseName: string, otherName: string): string | undefined {
  const sameRegistry = base.model.registry === other.model.registry;
  const m = (p: Profile) => `${p.model.name}@${p.model.version}` + `${sameRegistry ? '' : ` from ${p.model.registry}`}`;
  if (m(base) !== m(other)) {
    return (
      `profile "${otherName}" serves ${m(other)} but "${baseName}" (the default) ` +
      `serves ${m(base)}: switching the model is a rollout, not a schedule switch; ` +
      `make every profile of a schedule serve the same model`
    );
  }
  const diffs: string[] = [];
  const compare = (a: unknown, b: unknown, at: string[]) => {
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
        compare((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...at, k]);
    } else if (a !== b) diffs.push(`${at.map(yamlName).join('.')} (${show(b)} vs ${show(a)})`);
  };
  for (const key of Object.keys(base) as Array<keyof Profile>) {
    if (['name', 'sourcePath', 'model', ...SWITCHED_SECTIONS].includes(key)) continue;
    compare(base[key], other[key], [key]);
  }
  if (diffs.length === 0) return undefined;
  return (
    `profile "${otherName}" differs from "${baseName}" (the default) in ` +
    `${diffs.join(', ')}: a schedule switches only ${SWITCHED_SECTIONS.join(', ')} ` +
    `on a running cluster; make the other sections the same`
  );
}

/** "requestTimeoutMs" → "request_timeout": the YAML name of a Profile key, near enough for messages. */
function yamlName(key: string): string {
  return key.replace(/(Ms|Bytes)$/, '').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function show(v: unknown): string {
  return v === undefined ? 'auto' : JSON.stringify(v);
}

/** What a --profile reference names: one profile, or a schedule of several. */
export type LoadedProfileRef = { kind: 'profile'; profile: Profile } | { kind: 'schedule'; schedule: LoadedSchedule };

/**
 * Loads `ref` (a name or a path, found as loadProfile finds it) as a single profile or, when the
 * file has a top-level `schedule:` key, as a schedule with every profile it names.
 */
export async function loadProfileOrSchedule(ref: string, opts: LoadOptions = {}): Promise<LoadedProfileRef> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const file = await resolveProfileRef(ref, cwd);
  const text = await readProfileFile(file, cwd);
  if (isScheduleText(text)) return { kind: 'schedule', schedule: await loadScheduleText(text, file, cwd, env) };
  return { kind: 'profile', profile: parseProfile(text, file, env, cwd) };
}
