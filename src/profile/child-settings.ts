// A data-plane child's settings from a profile (control plane): walks a settings table and takes each
// setting from where its row says (`from`, common/settings.ts). Typed so that a row whose path Profile
// lacks, a launch value left out, or a profile value of another type without a conversion does not
// compile: a setting added to the table cannot silently run with its default.
import type { TableSetting } from '../common/settings/settings.js';
import type { Profile } from './types.js';

/** Values a path ends at: it never goes into arrays or functions. */
type Leaf =
  string | number | boolean | bigint | symbol | null | undefined | readonly unknown[] | ((...a: never[]) => unknown);

/** Every dotted path into T's nested objects, sections included: 'batching', 'batching.maxBatchSize'. */
export type PathOf<T> = T extends Leaf
  ? never
  : { [K in keyof T & string]-?: K | `${K}.${PathOf<NonNullable<T[K]>>}` }[keyof T & string];

/** The value at path P of T; undefined where a section on the way may be absent. */
export type ValueAt<T, P extends string> = P extends `${infer H}.${infer R}`
  ? H extends keyof T
    ? ValueAt<NonNullable<T[H]>, R> | (undefined extends T[H] ? undefined : never)
    : never
  : P extends keyof T
    ? T[P]
    : never;

/** A path into the Profile object. */
export type ProfileField = PathOf<Profile>;

/** What a row's `from` may say. */
export type Source = 'run' | 'default' | ProfileField;

/** A settings table whose every row names a source that exists. */
export type SourcedTable<T> = { readonly [K in keyof T]: TableSetting & { readonly from: Source } };

type FieldOf<Row> = Row extends { readonly from: infer P extends ProfileField } ? P : never;

/** Rows read from the profile whose value is not already of the setting's type: each needs a conversion. */
type ConvertedRows<S, T> = {
  [K in keyof T & keyof S]: [FieldOf<T[K]>] extends [never]
    ? never
    : [ValueAt<Profile, FieldOf<T[K]>>] extends [S[K] | undefined]
      ? never
      : K;
}[keyof T & keyof S];

/** One conversion per row that needs one, from the profile's value to the setting's. */
export type Conversions<S, T> = {
  [K in ConvertedRows<S, T>]: (value: ValueAt<Profile, FieldOf<T[K]>>) => S[K] | undefined;
};

/** The rows each launch gives (`from: 'run'`). */
type RunRows<T> = { [K in keyof T]: T[K] extends { readonly from: 'run' } ? K : never }[keyof T];

/** Every launch value, each named even when undefined (then the row's default). */
export type RunValues<S, T> = { [K in RunRows<T> & keyof S]: S[K] | undefined };

/**
 * The settings of table T (type S) for `profile`: each row's value from its source; a value that is
 * undefined (an absent optional section, a launch value not given) falls back to the row's default,
 * and without one the setting is left out.
 */
export function settingsFromProfile<S, T extends SourcedTable<T>>(
  table: T,
  profile: Profile,
  run: RunValues<S, T>,
  convert: Conversions<S, T>,
): S {
  const launch = run as Record<string, unknown>;
  const conversions = convert as Record<string, ((value: unknown) => unknown) | undefined>;
  const out: Record<string, unknown> = {};
  for (const [name, row] of Object.entries(table) as Array<[string, TableSetting]>) {
    let value: unknown;
    if (row.from === 'run') value = launch[name];
    else if (row.from !== 'default') {
      value = valueAt(profile, row.from);
      const conversion = conversions[name];
      if (conversion !== undefined) value = conversion(value);
    }
    value ??= row.default;
    if (value !== undefined) out[name] = value;
  }
  return out as S;
}

/** The value at a dotted path of an object, undefined where a section on the way is absent. */
export function valueAt(root: unknown, dotted: string): unknown {
  let at = root;
  for (const key of dotted.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
