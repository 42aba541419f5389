// One leaf of a profile during the walk (control plane): its plain value with ${VAR} references
// expanded (a value from the environment is named, never shown, in problems), checked by its schema.
import { isAlias, isScalar, parse as parseYaml, type Node as YamlNode } from 'yaml';
import { secretIssue } from './auth-tokens.js';
import { expandDeep, expandEnv } from './env.js';
import type { Leaf } from './fields/fields.js';
import { showValue } from './problems.js';
import { problem, type Ctx, type Pos } from './walk-context.js';
import { foreignTag, toPlainValue } from './yaml-limits.js';

export function walkLeaf(ctx: Ctx, node: YamlNode | undefined, leaf: Leaf, path: string, at: Pos): void {
  const value = leafValue(ctx, node, leaf, path, at);
  if (value === undefined) {
    ctx.out.invalid.add(path);
    return;
  }
  const result = leaf.schema.safeParse(value.v, {
    reportInput: true,
    error: (iss) =>
      `${iss.input === null ? 'is empty' : `got ${showValue(iss.input)}`}, expected ` + `${leaf.expected}`,
  });
  if (result.success) {
    ctx.out.values.set(path, result.data);
    ctx.out.given.add(path);
  } else if (leaf.secret) {
    ctx.out.invalid.add(path);
    for (const message of new Set(result.error.issues.map((i) => secretIssue(i, leaf))))
      problem(ctx, at, path, message);
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
function leafValue(
  ctx: Ctx,
  node: YamlNode | undefined,
  leaf: Leaf,
  path: string,
  at: Pos,
): { v: unknown; envRef?: string } | undefined {
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
  const envRef =
    secret.length === 0
      ? undefined
      : secret.length === 1 && secret[0]!.ref === resolved.value
        ? `the value of ${secret[0]!.ref}`
        : `the value of ${JSON.stringify(resolved.value)}`;
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

export function taggedMessage(tag: string, expected: string): string {
  return `got a value tagged ${tag} (profiles take plain YAML values: remove the tag), ` + `expected ${expected}`;
}

function safeParseScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}
