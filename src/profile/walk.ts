// Walks a parsed YAML profile against the profile tree (control plane): checks every key and value,
// expands ${VAR} references, applies defaults, and records each problem at its line and column.
import { Scalar, isAlias, isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { List, MapOf, Node, Section } from './fields/fields.js';
import { closest, showValue } from './problems.js';
import { pos, problem, type Ctx, type Pos, type Source, type Walked } from './walk-context.js';
import { taggedMessage, walkLeaf } from './walk-leaf.js';
import { foreignTag } from './yaml-limits.js';

export type { Pos, Source, Walked } from './walk-context.js';

/** Walks the YAML document (already free of syntax errors) against `tree`. */
export function walkProfile(source: Source, tree: Section): Walked {
  const out: Walked = {
    values: new Map(),
    given: new Set(),
    invalid: new Set(),
    positions: new Map(),
    fromEnv: new Map(),
    envValues: new Map(),
    problems: [],
  };
  const ctx: Ctx = { ...source, tree, out };
  const root = source.doc.contents as YamlNode | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    problem(
      ctx,
      { line: 1, col: 1 },
      '',
      'the file is empty, expected a mapping with at least model.name (see ' + 'profiles/local.yaml)',
    );
    invalidate(tree, [], out);
  } else walkSection(ctx, root, tree, [], { line: 1, col: 1 });
  return out;
}

/** `at` is where the section's value starts, `keyAt` its key (where a missing field is reported). */
function walkSection(
  ctx: Ctx,
  node: YamlNode | undefined,
  section: Section,
  path: string[],
  at: Pos,
  keyAt: Pos = at,
): void {
  const keys = Object.keys(section.fields);
  const present = node !== undefined;
  const resolved = node && isAlias(node) ? (node.resolve(ctx.doc) as YamlNode | undefined) : node;
  const seen = new Map<string, { key: Pos; value: YamlNode | undefined }>();
  const expected = `a mapping with keys such as ${keys.slice(0, 4).join(', ')}`;
  const tag = resolved && foreignTag(resolved);
  if (present && (tag !== undefined || !isMap(resolved))) {
    problem(
      ctx,
      at,
      path.join('.'),
      tag !== undefined ? taggedMessage(tag, expected) : `${describeNonMap(resolved)}, expected ${expected}`,
    );
    invalidate(section, path, ctx.out);
    return;
  }
  for (const pair of isMap(resolved) ? resolved.items : []) {
    const keyNode = pair.key as YamlNode | null;
    const keyPos = pos(ctx, keyNode ?? resolved);
    const key = keyNode && isScalar(keyNode) && foreignTag(keyNode) === undefined ? String(keyNode.value) : undefined;
    const here = [...path, key ?? '?'].join('.');
    if (key === undefined)
      problem(ctx, keyPos, path.join('.'), `a key must be a plain word, expected one of ${keys.join(', ')}`);
    else if (seen.has(key))
      problem(
        ctx,
        keyPos,
        here,
        `duplicate key "${key}" (first at line ${seen.get(key)!.key.line}), remove one ` + `of them`,
      );
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
      if (child.kind === 'section')
        walkSection(ctx, entry.value ?? new Scalar(null), child, childPath, valuePos, entry.key);
      else if (child.kind === 'list') walkList(ctx, entry.value, child, childPath, valuePos);
      else if (child.kind === 'map') walkMap(ctx, entry.value, child, childPath, valuePos);
      else walkLeaf(ctx, entry.value, child, childPath.join('.'), valuePos);
    } else if (child.kind === 'list' || child.kind === 'map') {
      if (child.kind === 'list' && (child.minItems ?? 0) > 0) {
        problem(
          ctx,
          keyAt,
          childPath.join('.'),
          `is missing, expected a list of ` +
            `${child.minItems === 1 ? 'at least one' : `at least ${child.minItems}`} ` +
            `${child.item.kind === 'section' ? 'mapping' : 'value'}` +
            `${child.minItems === 1 ? '' : 's'}`,
        );
      }
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

/** Each item of a list, at paths `name[0]`, `name[1]`, ... (a section item's leaves below them). */
function walkList(ctx: Ctx, node: YamlNode | undefined, list: List, path: string[], at: Pos): void {
  const resolved = node && isAlias(node) ? (node.resolve(ctx.doc) as YamlNode | undefined) : node;
  const what = list.item.kind === 'section' ? 'mappings' : list.item.expected;
  const tag = resolved && foreignTag(resolved);
  const refuse = (message: string) => {
    problem(ctx, at, path.join('.'), message);
    ctx.out.invalid.add(path.join('.'));
  };
  if (tag !== undefined || !isSeq(resolved)) {
    return refuse(
      tag !== undefined
        ? taggedMessage(tag, `a list of ${what}`)
        : `${isMap(resolved) ? 'got a mapping' : describeNonMap(resolved)}, expected a ` + `list of ${what}`,
    );
  }
  if (list.maxItems !== undefined && resolved.items.length > list.maxItems)
    return refuse(`has ${resolved.items.length} items, expected at most ${list.maxItems}`);
  if (resolved.items.length < (list.minItems ?? 0))
    problem(ctx, at, path.join('.'), `is empty, expected at least ${list.minItems} of ${what}`);
  const last = path.length - 1;
  resolved.items.forEach((item, i) => {
    const itemPath = [...path.slice(0, last), `${path[last]}[${i}]`];
    const itemNode = (item ?? undefined) as YamlNode | undefined;
    const itemPos = pos(ctx, itemNode ?? resolved);
    ctx.out.positions.set(itemPath.join('.'), itemPos);
    if (list.item.kind === 'section') walkSection(ctx, itemNode ?? new Scalar(null), list.item, itemPath, itemPos);
    else walkLeaf(ctx, itemNode, list.item, itemPath.join('.'), itemPos);
  });
}

/** Each entry of a user-keyed mapping: the key checked by `map.key`, the value at `name.<key>`. */
function walkMap(ctx: Ctx, node: YamlNode | undefined, map: MapOf, path: string[], at: Pos): void {
  const resolved = node && isAlias(node) ? (node.resolve(ctx.doc) as YamlNode | undefined) : node;
  const tag = resolved && foreignTag(resolved);
  if (tag !== undefined || !isMap(resolved)) {
    problem(
      ctx,
      at,
      path.join('.'),
      tag !== undefined
        ? taggedMessage(tag, `a mapping of ${map.key.expected} to ${map.value.expected}`)
        : `${describeNonMap(resolved)}, expected a mapping of ${map.key.expected} to ` + `${map.value.expected}`,
    );
    ctx.out.invalid.add(path.join('.'));
    return;
  }
  const seen = new Set<string>();
  for (const pair of resolved.items) {
    const keyNode = pair.key as YamlNode | null;
    const keyPos = pos(ctx, keyNode ?? resolved);
    const key = keyNode && isScalar(keyNode) && foreignTag(keyNode) === undefined ? String(keyNode.value) : undefined;
    if (key === undefined || !map.key.schema.safeParse(key).success) {
      problem(
        ctx,
        keyPos,
        path.join('.'),
        `${key === undefined ? 'a key that is not a plain value' : `got the key ${showValue(key)}`}` +
          `, expected ${map.key.expected}`,
      );
      continue;
    }
    const here = [...path, key].join('.');
    if (seen.has(key)) {
      problem(ctx, keyPos, here, `duplicate key "${key}", remove one of them`);
      continue;
    }
    seen.add(key);
    const valueNode = (pair.value ?? undefined) as YamlNode | undefined;
    const valuePos = valueNode ? pos(ctx, valueNode) : keyPos;
    ctx.out.positions.set(here, valuePos);
    walkLeaf(ctx, valueNode, map.value, here, valuePos);
  }
}

/** "got a list", "got 5", "is empty": a section's value that is not a mapping (no alias expansion). */
function describeNonMap(node: YamlNode | undefined): string {
  if (node && isScalar(node)) return node.value === null ? 'is empty' : `got ${showValue(node.value)}`;
  return `got ${isSeq(node) ? 'a list' : showValue(undefined)}`;
}

function unknownKey(key: string, section: Section, path: string[], tree: Section): string {
  const where = path.length === 0 ? 'at the top level' : `in ${path.join('.')}`;
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
  if (snake in section.fields) return `unknown key "${key}" ${where}, did you mean "${snake}"?`;
  // The very key in another section beats a near spelling here ("port" is gateway.port, not "cost").
  const elsewhere = findKey(snake, tree, []);
  const near = elsewhere === undefined ? closest(key, Object.keys(section.fields)) : undefined;
  if (near !== undefined) return `unknown key "${key}" ${where}, did you mean "${near}"?`;
  if (elsewhere !== undefined)
    return (
      `unknown key "${key}" ${where}, did you mean ${elsewhere} (it belongs under ` +
      `${elsewhere.split('.').slice(0, -1).join('.') || 'the top level'})?`
    );
  return `unknown key "${key}" ${where}, expected one of ` + `${Object.keys(section.fields).join(', ')}`;
}

function findKey(key: string, section: Section, path: string[]): string | undefined {
  for (const [k, child] of Object.entries(section.fields)) {
    if (k === key) return [...path, k].join('.');
    if (child.kind === 'section' || (child.kind === 'list' && child.item.kind === 'section')) {
      const found = findKey(key, child.kind === 'section' ? child : (child.item as Section), [...path, k]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function invalidate(node: Node, path: string[], out: Walked): void {
  if (node.kind === 'leaf' || node.kind === 'list' || node.kind === 'map') out.invalid.add(path.join('.'));
  else for (const [k, child] of Object.entries(node.fields)) invalidate(child, [...path, k], out);
}
