// The carry table's row types and the helpers that build rows (export plane, pure).
import type { ProfilePath } from '../profile/schema.js';
import type { Profile } from '../profile/types.js';
import type { ExportTarget } from './types.js';

/** What an exporter knows when it decides a warning. */
export interface CarryContext {
  profile: Profile;
  /** True when a schedule is exported (KServe then scales with KEDA, Ray gets a config per profile). */
  schedule: boolean;
}

/**
 * One target's handling of one field: `to` names where the value is written; `warn` returns why
 * (part of) it does not carry for this profile, or undefined; `na` says why the field has no
 * meaning off this host (no warning).
 */
export interface Carry {
  to?: string;
  warn?: (c: CarryContext) => string | undefined;
  na?: string;
}

export type CarryRow = Record<ExportTarget, Carry>;

/** One row for every target. */
export const same = (c: Carry): CarryRow => ({ triton: c, kserve: c, ray: c });

/** The same row for several fields (a section whose fields all carry alike). */
export const rows = (fields: ProfilePath[], row: CarryRow): Record<string, CarryRow> =>
  Object.fromEntries(fields.map((f) => [f, row]));
