// Walks a parsed YAML profile against the profile tree (control plane): checks every key and value,
// expands ${VAR} references, applies defaults, and records each problem at its line and column.
import { Scalar, isAlias, isMap, isScalar, isSeq, parse as parseYaml, type Document, type LineCounter, type Node as YamlNode } from 'yaml';
import { secretIssue } from './auth-tokens.js';
import { expandDeep, expandEnv } from './env.js';
import type { Leaf, Node, Section } from './fields.js';
import { closest, showValue, type ProfileProblem } from './problems.js';
import { foreignTag, toPlainValue } from './yaml-limits.js';

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

interface Ctx extends Source {
  tree: Section;
  out: Walked;
}

/** Walks the YAML document (already free of syntax errors) against `tree`. */
export function walkProfile(source: Source, tree: Section): Walked {
  const out: Walked = { values: new Map(), given: new Set(), invalid: new Set(), positions: new Map(), fromEnv: new Map(), envValues: new Map(), problems: [] };
  const ctx: Ctx = { ...source, tree, out };
  const root = source.doc.contents as YamlNode | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    problem(ctx, { line: 1, col: 1 }, '', 'the file is empty, expected a mapping with at least model.name (see profiles/local.yaml)');
    invalidate(tree, [], out);
  } else walkSection(ctx, root, tree, [], { line: 1, col: 1 });
  return out;
}

/** `at` is where the section's value starts, `keyAt` its key (where a missing field is reported). */
function walkSection(ctx: Ctx, node: YamlNode | undefined, section: Section, path: string[], at: Pos, keyAt: Pos = at): void {
  const keys = Object.keys(section.fields);
  const present = node !== undefined;
  const resolved = node && isAlias(node) ? (node.resolve(ctx.doc) as YamlNode | undefined) : node;
  const seen = new Map<string, { key: Pos; value: YamlNode | undefined }>();
  const expected = `a mapping with keys such as ${keys.slice(0, 4).join(', ')}`;
  const tag = resolved && foreignTag(resolved);
  if (present && (tag !== undefined || !isMap(resolved))) {
    problem(ctx, at, path.join('.'), tag !== undefined ? taggedMessage(tag, expected) : `${describeNonMap(resolved)}, expected ${expected}`);
    invalidate(section, path, ctx.out);
    return;
  }
  for (const pair of isMap(resolved) ? resolved.items : []) {
    const keyNode = pair.key as YamlNode | null;
    const keyPos = pos(ctx, keyNode ?? resolved);
    const key = keyNode && isScalar(keyNode) && foreignTag(keyNode) === undefined ? String(keyNode.value) : undefined;
    const here = [...path, key ?? '?'].join('.');
    if (key === undefined) problem(ctx, keyPos, path.join('.'), `a key must be a plain word, expected one of ${keys.join(', ')}`);
    else if (seen.has(key)) problem(ctx, keyPos, here, `duplicate key "${key}" (first at line ${seen.get(key)!.key.line}), remove one of them`);
    else if (!(key in section.fields)) problem(ctx, keyPos, here, unknownKey(key, section, path, ctx.tree));
    else seen.set(key, { key: keyPos, value: (pair.value ?? undefined) as YamlNode | undefined });
  }
  for (const [key, child] of Object.entries(section.fields)) {
    const childPath = [...path, key];
    const entry = seen.get(key);
    if (entry) {
      // An empty value (`replicas:`) has no position of its own worth showing: point at its key.
      const empty = !entry.value || (isScalar(entry.value) && entry.value.value === null);
      const valuePos = empty ? entry.key : pos(ctx, entry.value);
      ctx.out.positions.set(childPath.join('.'), valuePos);
      if (child.kind === 'section') walkSection(ctx, entry.value ?? new Scalar(null), child, childPath, valuePos, entry.key);
      else walkLeaf(ctx, entry.value, child, childPath.join('.'), valuePos);
    } else if (child.kind === 'section') {
      walkSection(ctx, undefined, child, childPath, at, keyAt);
    } else if (child.required) {
      problem(ctx, keyAt, childPath.join('.'), `is missing, expected ${child.expected}`);
      ctx.out.invalid.add(childPath.join('.'));
    } else if (child.default !== undefined && !(present && section.defaultsOnlyWhenAbsent)) {
      ctx.out.values.set(childPath.join('.'), child.schema.parse(child.default));
    }
  }
}

function walkLeaf(ctx: Ctx, node: YamlNode | undefined, leaf: Leaf, path: string, at: Pos): void {
  const value = leafValue(ctx, node, leaf, path, at);
  if (value === undefined) {
    ctx.out.invalid.add(path);
    return;
  }
  const result = leaf.schema.safeParse(value.v, {
    reportInput: true,
    error: (iss) => `${iss.input === null ? 'is empty' : `got ${showValue(iss.input)}`}, expected ${leaf.expected}`,
  });
  if (result.success) {
    ctx.out.values.set(path, result.data);
    ctx.out.given.add(path);
  } else if (leaf.secret) {
    ctx.out.invalid.add(path);
    for (const message of new Set(result.error.issues.map((i) => secretIssue(i, leaf)))) problem(ctx, at, path, message);
  } else if (value.envRef !== undefined) {
    // The schema's own messages may quote the value; one that came from the environment is not shown.
    ctx.out.invalid.add(path);
    problem(ctx, at, path, `got ${value.envRef} (${kindOf(value.v)}, not shown), expected ${leaf.expected}`);
  } else {
    ctx.out.invalid.add(path);
    // Several failed checks of one value (not an integer, and too small) read the same: say it once.
    for (const message of new Set(result.error.issues.map((i) => i.message))) problem(ctx, at, path, message);
  }
}

/**
 * The plain JS value of a leaf with ${VAR} references expanded, and `envRef` naming the reference
 * when a variable's value went into it; undefined after a problem (reported here).
 */
function leafValue(ctx: Ctx, node: YamlNode | undefined, leaf: Leaf, path: string, at: Pos): { v: unknown; envRef?: string } | undefined {
  const resolved = node && isAlias(node) ? (node.resolve(ctx.doc) as YamlNode | undefined) : node;
  if (!resolved) return { v: null };
  const tag = foreignTag(resolved);
  if (tag !== undefined) {
    problem(ctx, at, path, taggedMessage(tag, leaf.expected));
    return undefined;
  }
  if (!isScalar(resolved)) {
    const plain = toPlainValue(resolved, ctx.doc);
    if ('refused' in plain) problem(ctx, at, path, plain.refused);
    if ('refused' in plain) return undefined;
    return leaf.secret ? expandSecret(ctx, plain.value, path, at) : { v: plain.value };
  }
  if (typeof resolved.value !== 'string' || !resolved.value.includes('$')) return { v: resolved.value };
  const expanded = expandEnv(resolved.value, ctx.env);
  if (expanded.problems.length > 0) {
    const source = resolved.range ? ctx.text.slice(resolved.range[0], resolved.range[1]) : '';
    for (const p of expanded.problems) {
      const offset = source.indexOf(p.ref);
      const refPos = offset >= 0 && resolved.range ? ctx.lines.linePos(resolved.range[0] + offset) : at;
      problem(ctx, refPos, path, p.message);
    }
    return undefined;
  }
  const secret = expanded.used.filter((u) => !ctx.publicVars?.has(u.name));
  for (const u of secret) ctx.out.envValues.set(u.name, u.value);
  const envRef = secret.length === 0 ? undefined
    : secret.length === 1 && secret[0]!.ref === resolved.value ? `the value of ${secret[0]!.ref}` : `the value of ${JSON.stringify(resolved.value)}`;
  if (envRef !== undefined) ctx.out.fromEnv.set(path, envRef);
  // An unquoted `port: ${PORT}` reads as if the value were written there: a number stays a number.
  if (expanded.changed && resolved.type === 'PLAIN') {
    const retyped = safeParseScalar(expanded.value);
    if (typeof retyped === 'number' || typeof retyped === 'boolean') return { v: retyped, envRef };
  }
  return { v: expanded.value, envRef };
}

/** A secret collection with every `${VAR}` in its strings expanded; the variables' values are kept out of messages. */
function expandSecret(ctx: Ctx, value: unknown, path: string, at: Pos): { v: unknown } | undefined {
  const expanded = expandDeep(value, ctx.env);
  for (const p of expanded.problems) problem(ctx, at, path, p.message);
  for (const u of expanded.used) ctx.out.envValues.set(u.name, u.value);
  return expanded.problems.length > 0 ? undefined : { v: expanded.value };
}

/** What kind of value a hidden one is, so a message can still say why it does not fit. */
function kindOf(v: unknown): string {
  if (v === '') return 'empty';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  return typeof v === 'boolean' ? 'true or false' : 'a value';
}

function taggedMessage(tag: string, expected: string): string {
  return `got a value tagged ${tag} (profiles take plain YAML values: remove the tag), expected ${expected}`;
}

/** "got a list", "got 5", "is empty": a section's value that is not a mapping (no alias expansion). */
function describeNonMap(node: YamlNode | undefined): string {
  if (node && isScalar(node)) return node.value === null ? 'is empty' : `got ${showValue(node.value)}`;
  return `got ${isSeq(node) ? 'a list' : showValue(undefined)}`;
}

function safeParseScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}

function unknownKey(key: string, section: Section, path: string[], tree: Section): string {
  const where = path.length === 0 ? 'at the top level' : `in ${path.join('.')}`;
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase();
  const near = snake in section.fields ? snake : closest(key, Object.keys(section.fields));
  if (near !== undefined) return `unknown key "${key}" ${where}, did you mean "${near}"?`;
  const elsewhere = findKey(snake, tree, []);
  if (elsewhere !== undefined) return `unknown key "${key}" ${where}, did you mean ${elsewhere} (it belongs under ${elsewhere.split('.').slice(0, -1).join('.') || 'the top level'})?`;
  return `unknown key "${key}" ${where}, expected one of ${Object.keys(section.fields).join(', ')}`;
}

function findKey(key: string, section: Section, path: string[]): string | undefined {
  for (const [k, child] of Object.entries(section.fields)) {
    if (k === key) return [...path, k].join('.');
    if (child.kind === 'section') {
      const found = findKey(key, child, [...path, k]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function invalidate(node: Node, path: string[], out: Walked): void {
  if (node.kind === 'leaf') out.invalid.add(path.join('.'));
  else for (const [k, child] of Object.entries(node.fields)) invalidate(child, [...path, k], out);
}

function pos(ctx: Ctx, node: YamlNode | null | undefined): Pos {
  return node?.range ? ctx.lines.linePos(node.range[0]) : { line: 1, col: 1 };
}

function problem(ctx: Ctx, at: Pos, path: string, message: string): void {
  ctx.out.problems.push({ file: ctx.file, line: at.line, col: at.col, path, message });
}
