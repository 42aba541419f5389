// The kinds of data-plane settings and their checks (common, every plane): one value type, range and
// message per kind, used by `serve replica`/`serve gateway` flags, the settings a controller sends a
// child on stdin, and the profile's leaves (table.ts lists the settings themselves).

/** How a setting's value is written and checked. Durations are milliseconds, sizes bytes. */
export type SettingKind = 'integer' | 'number' | 'durationMs' | 'bytes' | 'boolean' | 'choice' | 'text';

/** One data-plane setting. Its flag is `--` + the kebab-case name (`batchWaitMs` → `--batch-wait-ms`). */
export interface SettingSpec {
  kind: SettingKind;
  /** One sentence for --help, the README and editors. */
  help: string;
  /** Absent only for required settings. */
  default?: number | string | boolean;
  /** Inclusive bounds (numbers, durations, sizes). */
  min?: number;
  max?: number;
  /** Durations and numbers: must be more than 0. */
  positive?: boolean;
  choices?: readonly string[];
  required?: boolean;
  /** Where a profile keeps it (snake_case YAML path); absent for settings profiles do not set. */
  profilePath?: string;
  /** A secret: only ever read from stdin (`--settings-stdin`), so it has no flag and never shows in `ps`. */
  stdinOnly?: boolean;
  /** May change on a running replica (a `reconfigure` control line) without a restart. */
  live?: boolean;
}

/**
 * Where a controller takes a child's value of a setting (cluster/child-args.ts walks the table): 'run'
 * when each launch gives it (port, registry, token, model), 'default' when profiles never set it (the
 * child runs with `default`), else a dotted path into the Profile object ('batching.maxBatchSize').
 * A path is text here (common/ cannot see Profile); profile/child-settings.ts types it against Profile,
 * so a path Profile lacks does not compile where the settings are built.
 */
export type SettingSource = 'run' | 'default' | (string & {});

/** A row of the settings table: a setting and where a controller's child gets its value (required). */
export interface TableSetting extends SettingSpec {
  from: SettingSource;
}

/**
 * A table's rows as plain TableSettings that each keep their literal `from`: readers see every field
 * of a row, and profile/child-settings.ts can still check each source against Profile.
 */
export type SourcedRows<T extends Readonly<Record<string, TableSetting>>> = {
  readonly [K in keyof T]: TableSetting & { readonly from: T[K]['from'] };
};

/** A table of settings by name (camelCase, unit in the name). */
export type SettingsTable = Readonly<Record<string, SettingSpec>>;

/** `batchWaitMs` → `--batch-wait-ms`. */
export function flagOf(name: string): string {
  return '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** What a valid value of `spec` looks like, for messages: "a whole number from 1 to 4096". */
export function expectedOf(spec: SettingSpec): string {
  const range = (unit: string) => {
    if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}${unit}`;
    if (spec.positive) return ` more than 0${unit}`;
    if (spec.min !== undefined) return ` of at least ${spec.min}${unit}`;
    return spec.max !== undefined ? ` of at most ${spec.max}${unit}` : '';
  };
  switch (spec.kind) {
    case 'integer':
      return `a whole number${range('')}`;
    case 'number':
      return `a number${range('')}`;
    case 'durationMs':
      return `a number of milliseconds${range(' ms')}`;
    case 'bytes':
      return `a number of bytes${range(' bytes')}`;
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    case 'text':
      return 'a non-empty text';
  }
}

/**
 * Checks one value (a number, boolean or string as JSON or a flag gives it; flag text is converted
 * by kind) and returns it typed, or throws a RangeError whose message says what is expected.
 */
export function checkSetting(spec: SettingSpec, raw: unknown): number | string | boolean {
  const bad = () =>
    new RangeError(
      `expected ${expectedOf(spec)}, got ` +
        `${typeof raw === 'string' ? JSON.stringify(raw.slice(0, 64)) : String(raw)}`,
    );
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw bad();
    }
    case 'choice':
      if (typeof raw === 'string' && (spec.choices ?? []).includes(raw)) return raw;
      throw bad();
    case 'text':
      if (typeof raw === 'string' && raw.length > 0 && raw.length <= 4096) return raw;
      throw bad();
    default: {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
      const whole = spec.kind === 'integer' || spec.kind === 'bytes';
      if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) throw bad();
      if (
        (spec.positive && n <= 0) ||
        (spec.min !== undefined && n < spec.min) ||
        (spec.max !== undefined && n > spec.max)
      )
        throw bad();
      return n;
    }
  }
}

/** The defaults of every setting of `table` that has one. */
export function defaultsOf<T extends SettingsTable>(table: T): Partial<Record<keyof T, number | string | boolean>> {
  const out: Partial<Record<keyof T, number | string | boolean>> = {};
  for (const [name, spec] of Object.entries(table)) if (spec.default !== undefined) out[name as keyof T] = spec.default;
  return out;
}

/**
 * Checks a whole settings object (the JSON a controller sends a child): unknown names, missing
 * required ones and bad values are all reported, each naming the setting. Defaults fill the rest.
 */
export function parseSettings<T extends SettingsTable>(
  table: T,
  raw: unknown,
  what: string,
): Record<keyof T, number | string | boolean> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RangeError(`${what} must be a JSON object of settings`);
  const problems: string[] = [];
  const out = { ...defaultsOf(table) } as Record<string, number | string | boolean>;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const spec = table[name];
    if (spec === undefined) problems.push(`unknown setting "${name.slice(0, 64)}"`);
    else if (value !== undefined) {
      try {
        out[name] = checkSetting(spec, value);
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
      }
    }
  }
  for (const [name, spec] of Object.entries(table))
    if (spec.required && out[name] === undefined) problems.push(`${name} is required`);
  if (problems.length > 0) throw new RangeError(`${what}: ${problems.join('; ')}`);
  return out as Record<keyof T, number | string | boolean>;
}
