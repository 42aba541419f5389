// Field kinds of a profile (control plane): each leaf is a zod schema that checks one YAML value and
// turns it into a number with a unit in its name, plus the words used to document and explain it.
// The node kinds themselves (sections, lists, maps, ValueOf) are in tree.ts.
import { z } from 'zod';
import { formatBytes, formatMs, parseBytes, parseDurationMs, parseFraction } from '../../common/units.js';
import { ENV_NAME } from '../../common/child-env.js';
import type { SettingSpec } from '../../common/settings/settings.js';
import type { Leaf } from '../tree.js';
import { isCalendarDate, isTimeZone } from '../schedule/zoned-time.js';

export * from '../tree.js';

interface Common {
  doc: string;
  default?: string | number | boolean;
  defaultText?: string;
  required?: boolean;
}

/** Whether a leaf built from `C` may be absent: not when it is required or has a default. */
type Opt<C> = C extends { required: true } ? false : C extends { default: string | number | boolean } ? false : true;

function leaf<T, C extends Common>(
  schema: z.ZodType,
  expected: string,
  unit: string,
  c: C,
  jsonMeta: Record<string, unknown> = {},
): Leaf<T, Opt<C>> {
  const meta: Record<string, unknown> = { ...(c.doc ? { description: c.doc } : {}), ...jsonMeta };
  if (c.default !== undefined) meta.default = c.default;
  return { kind: 'leaf', schema: schema.meta(meta), expected, unit, ...c };
}

/** Runs a unit parser inside a zod transform, turning its RangeError into an issue with its message. */
function parsed<I, T>(parse: (v: I) => T, check?: (v: T) => string | undefined) {
  return (v: I, ctx: z.RefinementCtx<I>): T => {
    try {
      const out = parse(v);
      const problem = check?.(out);
      if (problem !== undefined)
        ctx.issues.push({ code: 'custom', message: `got ${JSON.stringify(v)}, expected ${problem}`, input: v });
      return out;
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
      return z.NEVER;
    }
  };
}

const durationPattern = '^\\s*\\d+(\\.\\d+)?\\s*(us|µs|ms|s|m|min|h)\\s*$';

/** "10ms", "15s", "2m" → milliseconds, within [minMs, maxMs]. */
export function duration<C extends Common & { minMs?: number; maxMs?: number; positive?: boolean }>(
  c: C,
): Leaf<number, Opt<C>> {
  const minMs = c.minMs ?? 0;
  const range = c.positive ? `more than 0` : minMs > 0 ? `at least ${formatDuration(minMs)}` : '';
  const expected =
    `a duration such as "10ms" or "15s"${range ? `, ${range}` : ''}` +
    `${c.maxMs !== undefined ? ` and at most ${formatDuration(c.maxMs)}` : ''}`;
  const schema = z.string().transform(
    parsed(
      (s: string) => parseDurationMs(s),
      (ms) => {
        if (c.positive && ms <= 0) return `a duration more than 0`;
        if (ms < minMs || (c.maxMs !== undefined && ms > c.maxMs)) return expected;
        return undefined;
      },
    ),
  );
  return leaf(schema, expected, 'duration', c, { pattern: durationPattern });
}

/** "2GB", "512MiB" or a number of bytes → bytes, more than 0. */
export function bytes<C extends Common>(c: C): Leaf<number, Opt<C>> {
  const expected = 'a size more than 0 such as "512MiB" or "2GB"';
  const schema = z.union([z.string(), z.number()]).transform(
    parsed(
      (v: string | number) => parseBytes(v),
      (b) => (b > 0 ? undefined : expected),
    ),
  );
  return leaf(schema, expected, 'bytes', c);
}

/** "1%" or 0.01 → a fraction in [0, 1]. */
export function fraction<C extends Common>(c: C): Leaf<number, Opt<C>> {
  const schema = z.union([z.string(), z.number()]).transform(parsed((v: string | number) => parseFraction(v)));
  return leaf(schema, 'a percentage between 0% and 100% such as "1%"', 'percent', c);
}

/** A whole number within [min, max]. */
export function integer<C extends Common & { min: number; max?: number }>(c: C): Leaf<number, Opt<C>> {
  let schema = z.number().int().min(c.min);
  if (c.max !== undefined) schema = schema.max(c.max);
  const expected = c.max !== undefined ? `an integer from ${c.min} to ${c.max}` : `an integer >= ${c.min}`;
  return leaf(schema, expected, 'integer', c);
}

/** A number (fractions allowed) within the given bounds. */
export function number<C extends Common & { min?: number; max?: number; positive?: boolean; unit?: string }>(
  c: C,
): Leaf<number, Opt<C>> {
  let schema = z.number();
  if (c.positive) schema = schema.positive();
  if (c.min !== undefined) schema = schema.min(c.min);
  if (c.max !== undefined) schema = schema.max(c.max);
  const parts = [
    c.positive ? '> 0' : '',
    c.min !== undefined ? `>= ${c.min}` : '',
    c.max !== undefined ? `<= ${c.max}` : '',
  ].filter(Boolean);
  return leaf(schema, `a number ${parts.join(' and ')}`.trim(), c.unit ?? 'number', c);
}

export function boolean<C extends Common>(c: C): Leaf<boolean, Opt<C>> {
  return leaf(z.boolean(), 'true or false', 'boolean', c);
}

/** One of a fixed set of words. */
export function oneOf<V extends string, C extends Common>(values: readonly [V, ...V[]], c: C): Leaf<V, Opt<C>> {
  return leaf(
    z.enum(values as unknown as [string, ...string[]]),
    `one of ${values.map((v) => `"${v}"`).join(', ')}`,
    values.join(' | '),
    c,
  );
}

/** A name used in URLs and folder names: letters, digits, '.', '_' and '-'. */
export function identifier<C extends Common & { what: string }>(c: C): Leaf<string, Opt<C>> {
  const schema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
  return leaf(schema, `${c.what}: letters, digits, ".", "_" or "-", starting with a letter or digit`, 'string', c);
}

/** Free text (a host, a path). */
export function text<C extends Common & { what: string }>(c: C): Leaf<string, Opt<C>> {
  return leaf(z.string().min(1), c.what, 'string', c);
}

/** An environment variable's name: letters, digits and "_", not starting with a digit. */
export function envName<C extends Common>(c: C): Leaf<string, Opt<C>> {
  const expected = 'a variable name: letters, digits and "_", not starting with a digit';
  return leaf(z.string().regex(ENV_NAME), expected, 'name', c, { pattern: ENV_NAME.source });
}

/** Any string, the empty one too (a number or true/false must be quoted). */
export function anyString<C extends Common>(c: C): Leaf<string, Opt<C>> {
  return leaf(z.string(), 'a string (quote numbers and true/false: "1")', 'string', c);
}

/** "auto" or a value of `inner` (host capacity that is detected unless given); "auto" → undefined. */
export function autoOr<T>(inner: Leaf<T>, c: Common): Leaf<T, true> {
  const schema = z.union([z.literal('auto'), inner.schema]).transform((v) => (v === 'auto' ? undefined : v));
  return leaf(schema, `"auto" or ${inner.expected}`, `auto | ${inner.unit}`, c) as Leaf<T, true>;
}

/** "never" or a duration of `inner` (a timeout that may be off); "never" → 0. */
export function neverOr<C extends Common>(inner: Leaf<number>, c: C): Leaf<number, Opt<C>> {
  const schema = z.union([z.literal('never'), inner.schema]).transform((v) => (v === 'never' ? 0 : v));
  return leaf(schema, `"never" or ${inner.expected}`, `never | ${inner.unit}`, c);
}

/** A local time of day "HH:MM" or "HH:MM:SS" from 00:00 to 24:00 (kept as written). */
export function timeOfDay<C extends Common>(c: C): Leaf<string, Opt<C>> {
  const schema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$|^24:00(:00)?$/);
  return leaf(schema, 'a local time "HH:MM" or "HH:MM:SS" from 00:00 to 24:00', 'time', c);
}

/** A calendar date "YYYY-MM-DD" that exists (2026-02-30 does not). */
export function calendarDate<C extends Common>(c: C): Leaf<string, Opt<C>> {
  return leaf(z.string().refine(isCalendarDate), 'a date "YYYY-MM-DD" that exists', 'date', c);
}

/** An IANA time zone the runtime knows ("America/New_York", "Europe/London", "UTC"). */
export function timeZone<C extends Common>(c: C): Leaf<string, Opt<C>> {
  return leaf(z.string().refine(isTimeZone), 'an IANA time zone such as "America/New_York" or "UTC"', 'time zone', c);
}

/** An integer version >= 1 or "latest". */
export function version<C extends Common>(c: C): Leaf<number | 'latest', Opt<C>> {
  return leaf(
    z.union([z.literal('latest'), z.number().int().min(1)]),
    '"latest" or an integer version >= 1',
    'latest | integer',
    c,
  );
}

/**
 * The leaf of a data-plane setting (common/settings/table.ts): its kind, range, default and help
 * come from the table, so the profile and the `serve replica`/`serve gateway` flags cannot differ.
 */
export function settingLeaf<T>(spec: SettingSpec, what?: string): Leaf<T, false> {
  const c = { doc: spec.help, default: spec.default === undefined ? undefined : settingDefaultText(spec) };
  let out: Leaf;
  switch (spec.kind) {
    case 'durationMs':
      out = duration({ ...c, minMs: spec.min, maxMs: spec.max, positive: spec.positive });
      break;
    case 'integer':
      out = integer({ ...c, min: spec.min ?? 0, max: spec.max });
      break;
    case 'number':
      out = number({ ...c, min: spec.min, max: spec.max, positive: spec.positive });
      break;
    case 'bytes':
      out = bytes(c);
      break;
    case 'boolean':
      out = boolean(c);
      break;
    case 'choice':
      out = oneOf(spec.choices as [string, ...string[]], c);
      break;
    case 'text':
      out = text({ ...c, what: what ?? 'a non-empty text' });
      break;
  }
  return out as Leaf<T, false>;
}

/** A setting's default as a profile writes it ("10ms" for 10 ms; sizes as "4MiB"). */
export function settingDefaultText(spec: SettingSpec): string | number | boolean | undefined {
  const d = spec.default;
  if (typeof d !== 'number') return d;
  if (spec.kind === 'durationMs') return formatDuration(d);
  return d;
}

/** Formats a leaf's normalized value back for people, by its unit. */
export function formatValue(unitName: string, v: unknown): string {
  const unit = unitName.replace(/^(auto|never) \| /, '');
  if (typeof v !== 'number' || (v === 0 && unitName.startsWith('never'))) return v === 0 ? 'never' : String(v);
  if (unit === 'duration') return formatDuration(v);
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'percent') return `${+(v * 100).toFixed(4)}%`;
  return String(v);
}

/** Milliseconds the way a profile would write them: "90ms", "15s", "250us"; else like formatMs. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1 && Number.isInteger(ms * 1000)) return `${ms * 1000}us`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 300_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  if (Number.isInteger(ms)) return `${ms}ms`;
  return formatMs(ms);
}
