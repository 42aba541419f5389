// Finds and loads a profile by path or by name (control plane): `./x.yaml`, or `market-hours` from
// ./profiles/ and then the profiles shipped with serve.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { findPackageRoot } from '../common/package-info.js';
import { displayName } from './display-name.js';
import { parseProfile } from './parse.js';
import { closest } from './problems.js';
import { isScheduleText } from './schedule/file.js';
import type { Profile } from './types.js';

export interface LoadOptions {
  /** Directory names and relative paths are resolved from (default process.cwd()). */
  cwd?: string;
  /** Variables for `${VAR}` references (default process.env). */
  env?: Record<string, string | undefined>;
}

/** One profile found by name. */
export interface ProfileEntry {
  name: string;
  path: string;
  /** True for the profiles shipped with serve, false for ones in <cwd>/profiles/. */
  shipped: boolean;
}

/** The text of the profile file `file`; a UserError naming it and the fix when it cannot be read. */
export async function readProfileFile(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    throw new UserError(
      `profile file ${displayName(file, cwd)} ${why}: give the path of a .yaml file ` +
        `or a profile name such as "local"`,
    );
  }
}

/**
 * Loads and validates a profile. `ref` is a path to a .yaml/.yml file, or a bare name looked up as
 * `<cwd>/profiles/<name>.yaml` and then among the profiles shipped with serve. Throws a UserError
 * (exit code 2) for an unknown name or missing file, and a ProfileError listing every problem.
 */
export async function loadProfile(ref: string, opts: LoadOptions = {}): Promise<Profile> {
  const cwd = opts.cwd ?? process.cwd();
  const file = await resolveProfileRef(ref, cwd);
  const text = await readProfileFile(file, cwd);
  if (isScheduleText(text)) {
    throw new UserError(
      `${displayName(file, cwd)} is a schedule (it switches between profiles by ` +
        `time), not a single profile: give one of the profiles it names instead, or use ` +
        `\`serve up\`, \`serve validate\` or \`serve schedule show\` with it`,
    );
  }
  return parseProfile(text, file, opts.env ?? process.env, cwd);
}

/** Looks like a path (has a slash or a YAML extension) rather than a profile name. */
export function isProfilePath(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.ya?ml$/i.test(ref) || ref.startsWith('.');
}

/** The absolute file a profile reference points at; an unknown name lists the available ones. */
export async function resolveProfileRef(ref: string, cwd: string): Promise<string> {
  if (ref.trim() === '')
    throw new UserError('no profile given: pass a profile name such as "local" or the path of a .yaml file');
  if (isProfilePath(ref)) return path.resolve(cwd, ref);
  for (const dir of [path.join(cwd, 'profiles'), shippedProfilesDir()]) {
    for (const ext of ['.yaml', '.yml']) {
      const candidate = path.join(dir, ref + ext);
      if (existsSync(candidate)) return candidate;
    }
  }
  const available = await listProfiles(cwd);
  const names = [...new Set(available.map((p) => p.name))];
  const near = closest(ref, names);
  const hint = near !== undefined ? ` Did you mean "${near}"?` : '';
  throw new UserError(
    `unknown profile "${ref}": no ${ref}.yaml in ./profiles or in serve's shipped ` +
      `profiles.${hint} Available: ${names.join(', ') || 'none'}; or give the path of ` +
      `a .yaml file`,
  );
}

/** Profiles in <cwd>/profiles/ first, then the shipped ones not shadowed by them. */
export async function listProfiles(cwd: string = process.cwd()): Promise<ProfileEntry[]> {
  const out: ProfileEntry[] = [];
  const seen = new Set<string>();
  for (const [dir, shipped] of [
    [path.join(cwd, 'profiles'), false],
    [shippedProfilesDir(), true],
  ] as const) {
    let entries: string[] = [];
    try {
      entries = (await readdir(dir)).sort();
    } catch {
      continue;
    }
    for (const f of entries) {
      if (!/\.ya?ml$/i.test(f)) continue;
      const name = f.replace(/\.ya?ml$/i, '');
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, path: path.join(dir, f), shipped });
    }
  }
  return out;
}

let packageRootCache: string | undefined;

/** The folder holding serve's package.json (common/package-info.ts finds it; cached here). */
export function packageRoot(): string {
  return (packageRootCache ??= findPackageRoot());
}

/** `<package root>/profiles`, where market-hours, off-hours and local are shipped. */
export function shippedProfilesDir(): string {
  return path.join(packageRoot(), 'profiles');
}
