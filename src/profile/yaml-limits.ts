// Limits on hostile YAML in profiles (control plane): nesting depth, checked on yaml's token tree
// before its recursive composer sees the text; alias expansion, capped by yaml's maxAliasCount; tags.
import { Parser, isMap, isSeq, type CST, type Document, type Node as YamlNode } from 'yaml';

/** Deepest nesting of mappings and lists accepted; a profile needs 3 (slo.throughput.target). */
export const MAX_NESTING_LEVELS = 32;

/**
 * Most alias references one value may expand to, as yaml counts them (`maxAliasCount`, its default
 * too): a few aliases are fine, a "billion laughs" document that doubles at each level is refused.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * Offset in `text` of the first mapping or list nested deeper than `limit` levels, else undefined.
 * Walks yaml's concrete syntax tree with an explicit stack: the text may nest 100,000 levels deep,
 * which overflows the call stack of any recursive walk (yaml's own composer included).
 */
export function tooDeepAt(text: string, limit = MAX_NESTING_LEVELS): number | undefined {
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document' || !token.value) continue;
    const stack: Array<[CST.Token, number]> = [[token.value, 0]];
    for (let item = stack.pop(); item; item = stack.pop()) {
      const [node, depth] = item;
      if (node.type !== 'block-map' && node.type !== 'block-seq' && node.type !== 'flow-collection') continue;
      if (depth + 1 > limit) return node.type === 'flow-collection' ? node.start.offset : node.offset;
      for (const it of node.items) {
        if ('key' in it && it.key) stack.push([it.key, depth + 1]);
        if (it.value) stack.push([it.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/** A node as plain JS, or why it cannot be converted safely. */
export type PlainValue = { value: unknown } | { refused: string };

/**
 * `node` as a plain JS value, with alias expansion capped at MAX_ALIAS_COUNT. A value past the cap,
 * or nested too deeply through aliases, is refused with a message for the user instead of throwing.
 */
export function toPlainValue(node: YamlNode, doc: Document): PlainValue {
  try {
    return { value: node.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    // yaml throws a ReferenceError past maxAliasCount; a chain of aliases can still nest deeper
    // than the call stack allows (RangeError). Anything else is a bug of ours: let it through.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      return {
        refused:
          `its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies, which looks ` +
          `like an alias bomb: write the values out, or use fewer aliases`,
      };
    }
    if (err instanceof RangeError) {
      return { refused: `its aliases (*name) nest too deeply to read: write the values out, or use fewer aliases` };
    }
    throw err;
  }
}

const yamlTagPrefix = 'tag:yaml.org,2002:';
const plainTags = {
  map: new Set(['map']),
  seq: new Set(['seq']),
  scalar: new Set(['str', 'int', 'float', 'bool', 'null']),
};

/**
 * The tag written on `node` (`!!binary`, `!custom`) unless it is plain YAML's own for that kind of
 * node (`!!str`, `!!int`, `!!map` ...). Tags such as !!binary, !!timestamp, !!set or !!omap turn a
 * value into something no profile field holds; yaml may also ignore a tag that does not fit.
 */
export function foreignTag(node: YamlNode): string | undefined {
  if (node.tag === undefined) return undefined;
  const short = node.tag.startsWith(yamlTagPrefix) ? node.tag.slice(yamlTagPrefix.length) : undefined;
  const kind = isMap(node) ? 'map' : isSeq(node) ? 'seq' : 'scalar';
  if (short !== undefined && plainTags[kind].has(short)) return undefined;
  return short !== undefined ? `!!${short}` : node.tag;
}
