// A profile with every default (control plane), for code and tests that need one without a file.
import { parseProfile } from './parse.js';
import type { Profile } from './types.js';

/** Nested partial of T (plain objects only). */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/**
 * The profile a file holding only `model: { name: cnn-lstm }` gives (registry ./models from `cwd`),
 * with `overrides` merged in. No validation is applied to the overrides.
 */
export function defaultProfile(overrides: DeepPartial<Profile> = {}, cwd = process.cwd()): Profile {
  const base = parseProfile('model:\n  name: cnn-lstm\n', '', {}, cwd);
  base.name = 'default';
  return merge(base, overrides) as Profile;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlain(base) || !isPlain(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
