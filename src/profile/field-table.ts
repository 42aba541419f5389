// The README's table of profile fields (control plane), rendered from the profile tree so the
// documentation cannot drift from what the loader accepts (a test compares them).
import type { Node } from './fields.js';
import { profileTree } from './schema.js';

/** Markdown table: one row per field with its unit, default and meaning. */
export function renderFieldTable(): string {
  const rows: string[] = ['| Field | Unit / type | Default | Meaning |', '| --- | --- | --- | --- |'];
  const walk = (node: Node, path: string[]) => {
    if (node.kind === 'leaf') {
      const dflt = node.required ? '**required**' : node.default !== undefined ? `\`${node.default}\`` : (node.defaultText ?? '');
      rows.push(`| \`${path.join('.')}\` | ${node.unit.replace(/ \| /g, ' or ')} | ${dflt} | ${node.doc.replace(/\|/g, '\\|')} |`);
      return;
    }
    if (node.kind === 'list') {
      rows.push(`| \`${path.join('.')}\` | list | ${node.defaultText ?? ''} | ${node.doc} |`);
      for (const [key, child] of Object.entries(node.item.fields as Record<string, Node>)) walk(child, [...path.slice(0, -1), `${path.at(-1)}[]`, key]);
      return;
    }
    if (path.length > 0) rows.push(`| \`${path.join('.')}\` | section | | ${node.doc} |`);
    for (const [key, child] of Object.entries(node.fields)) walk(child, [...path, key]);
  };
  walk(profileTree, []);
  return rows.join('\n') + '\n';
}
