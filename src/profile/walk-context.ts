// The state of one walk over a profile's YAML (control plane): where values came from, the
// problems found so far, and the helpers that place a problem at its line and column.
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import type { Section } from './fields/fields.js';
import type { ProfileProblem } from './problems.js';

export interface Pos {
  line: number;
  col: number;
}

/** Every leaf's normalized value by dotted path, where it came from, and the problems found. */
export interface Walked {
  /** Normalized values of valid written leaves and of defaults. */
  values: Map<string, unknown>;
  /** Leaves the user wrote with a valid value. */
  given: Set<string>;
  /** Leaves (or whole sections' leaves) the user wrote wrongly: rules about them are skipped. */
  invalid: Set<string>;
  /** Position of every written key's value (leaves and sections). */
  positions: Map<string, Pos>;
  /**
   * Leaves whose value holds a variable from the environment, and how to name it in a message
   * instead of showing it ("the value of ${API_KEY}"): such values are often secrets.
   */
  fromEnv: Map<string, string>;
  /** Values taken from the environment by variable name, to keep them out of every message. */
  envValues: Map<string, string>;
  problems: ProfileProblem[];
}

/** A parsed YAML file and what the walk needs to explain problems in it. */
export interface Source {
  doc: Document;
  lines: LineCounter;
  /** The file's text, to find the column of a ${VAR} reference inside a value. */
  text: string;
  /** The file name used in problems. */
  file: string;
  /** Variables for ${VAR} references. */
  env: Record<string, string | undefined>;
  /** Variables set by serve itself (PROFILE_DIR), whose values may be shown in messages. */
  publicVars?: ReadonlySet<string>;
}

export interface Ctx extends Source {
  tree: Section;
  out: Walked;
}

export function pos(ctx: Ctx, node: YamlNode | null | undefined): Pos {
  return node?.range ? ctx.lines.linePos(node.range[0]) : { line: 1, col: 1 };
}

export function problem(ctx: Ctx, at: Pos, path: string, message: string): void {
  ctx.out.problems.push({ file: ctx.file, line: at.line, col: at.col, path, message });
}

/**
 * The walk's values as nested objects; a segment `name[3]` is item 3 of the list `name`, and a
 * map's entries are plain keys.
 */
export function nestWalked(values: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [dotted, value] of values) {
    let node: Record<string, unknown> | unknown[] = root;
    const segments = dotted.split('.').flatMap((seg) => {
      const m = /^(.+?)((?:\[\d+\])+)$/.exec(seg);
      return m ? [m[1]!, ...[...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]))] : [seg];
    });
    segments.forEach((key, i) => {
      const last = i === segments.length - 1;
      const container = node as Record<string | number, unknown>;
      if (last) container[key] = value;
      else
        node = (container[key] ??= typeof segments[i + 1] === 'number' ? [] : {}) as
          Record<string, unknown> | unknown[];
    });
  }
  return root;
}
