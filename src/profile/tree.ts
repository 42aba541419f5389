// The node kinds of a profile's field tree (control plane): leaves, sections, lists and maps, each
// carrying its normalized value type, so the loaded tree is typed (ValueOf) and its leaf paths too.
import type { z } from 'zod';

/**
 * A field holding one value of type T; `Opt` is true when the value may be absent after loading (no
 * default, or "auto"). `default` is written as it would be in YAML ("200ms", 3).
 */
export interface Leaf<T = unknown, Opt extends boolean = boolean> {
  kind: 'leaf';
  /** Validates and normalizes one value (durations to ms, sizes to bytes, percentages to fractions). */
  schema: z.ZodType;
  /** What a valid value looks like, for messages: "an integer >= 1". */
  expected: string;
  /** One sentence for the README table and editors' hover text. */
  doc: string;
  /** Unit column of the README table: "duration", "bytes", "integer" ... */
  unit: string;
  default?: string | number | boolean;
  /** How the default reads in the docs when it is derived or absent ("= min", "not gated"). */
  defaultText?: string;
  required?: boolean;
  /**
   * The value is a secret (tokens): `${VAR}`s are expanded inside lists and mappings too, and problems
   * say where in the value they are (its issues' own messages), never what it holds.
   */
  secret?: boolean;
  /** Type-level only: the normalized value's type and whether it may be absent. */
  readonly __value?: [T, Opt];
}

/** A mapping of fields. `defaultsOnlyWhenAbsent`: if the user writes the section, unset fields stay unset. */
export interface Section<F extends Record<string, Node> = Record<string, Node>, Partial extends boolean = boolean> {
  kind: 'section';
  doc: string;
  fields: F;
  defaultsOnlyWhenAbsent?: Partial;
}

/**
 * A YAML list whose items are each a leaf or a section (a schedule's windows, closed dates). Items
 * are walked one by one, so each problem points at its own item: `schedule.windows[1].from`.
 */
export interface List<I extends Leaf | Section = Leaf | Section> {
  kind: 'list';
  doc: string;
  item: I;
  /** Fewest items (an empty list below it is a problem). */
  minItems?: number;
  /** Most items accepted. */
  maxItems?: number;
  /** How the default reads in the docs when the list is absent ("this machine only"). */
  defaultText?: string;
}

/** A YAML mapping with keys chosen by the user (dates of early closes), each key checked by `key`. */
export interface MapOf<V extends Leaf = Leaf> {
  kind: 'map';
  doc: string;
  /** Checks one key (a string); its `expected` explains a bad key. */
  key: Leaf;
  value: V;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Node = Leaf<any, boolean> | Section<Record<string, Node>, boolean> | List<any> | MapOf<any>;

/** The normalized value of a node: numbers in ms/bytes/fractions, sections as nested objects. */
export type ValueOf<N, Absent extends boolean = false> =
  N extends Leaf<infer T, infer Opt>
    ? Opt extends true
      ? T | undefined
      : Absent extends true
        ? T | undefined
        : T
    : N extends Section<infer F, infer P>
      ? { [K in keyof F]: ValueOf<F[K], Absent extends true ? true : P extends true ? true : false> }
      : N extends List<infer I>
        ? Array<ValueOf<I>> | undefined
        : N extends MapOf<infer V>
          ? Record<string, ValueOf<V>>
          : never;

/** Dotted paths of every leaf under a section ("replicas.min", "slo.throughput.target"); lists and maps have none. */
export type LeafPath<N, Prefix extends string = ''> =
  N extends Section<infer F, boolean>
    ? {
        [K in keyof F & string]: F[K] extends Leaf
          ? `${Prefix}${K}`
          : F[K] extends Section
            ? LeafPath<F[K], `${Prefix}${K}.`>
            : never;
      }[keyof F & string]
    : never;

/** Builds a section, keeping the types of its fields. */
export function section<F extends Record<string, Node>>(doc: string, fields: F): Section<F, false> {
  return { kind: 'section', doc, fields };
}

/** A list of leaves or sections. */
export function list<I extends Leaf | Section>(
  doc: string,
  item: I,
  opts: { minItems?: number; maxItems?: number; defaultText?: string } = {},
): List<I> {
  return { kind: 'list', doc, item, ...opts };
}

/** A mapping from user-chosen keys (checked by `key`) to values of one kind. */
export function mapOf<V extends Leaf>(doc: string, key: Leaf, value: V): MapOf<V> {
  return { kind: 'map', doc, key, value };
}

/** A section whose defaults apply only when the user leaves it out: written, only its written fields count. */
export function partialSection<F extends Record<string, Node>>(doc: string, fields: F): Section<F, true> {
  return { kind: 'section', doc, fields, defaultsOnlyWhenAbsent: true };
}
