// The README's tables of profile and schedule fields (control plane), rendered from their trees so
// the documentation cannot drift from what the loader accepts (a test compares them).
import type { Node, Section } from './fields.js';
import { profileTree } from '../schema.js';

/** Markdown table: one row per field of `tree` (default: the profile's) with its unit, default and meaning. */
export function renderFieldTable(tree: Section = profileTree): string {
  const rows: string[] = ['| Field | Unit / type | Default | Meaning |', '| --- | --- | --- | --- |'];
  const walk = (node: Node, path: string[]) => {
    const name = path.join('.');
    if (node.kind === 'leaf') {
      const dflt = node.required
        ? '**required**'
        : node.default !== undefined
          ? `\`${node.default}\``
          : (node.defaultText ?? '');
      rows.push(
        `| \`${name}\` | ${node.unit.replace(/ \| /g, ' or ')} | ${dflt} | ` + `${node.doc.replace(/\|/g, '\\|')} |`,
      );
      return;
    }
    if (node.kind === 'list') {
      const of = node.item.kind === 'leaf' ? `list of ${node.item.unit.replace(/ \| /g, ' or ')}` : 'list';
      rows.push(`| \`${name}\` | ${of} | ${node.defaultText ?? ''} | ${node.doc} |`);
      if (node.item.kind === 'section')
        for (const [key, child] of Object.entries(node.item.fields as Record<string, Node>))
          walk(child, [...path.slice(0, -1), `${path.at(-1)}[]`, key]);
      return;
    }
    if (node.kind === 'map') {
      rows.push(`| \`${name}\` | ${node.key.unit} → ${node.value.unit} | | ${node.doc} |`);
      return;
    }
    if (path.length > 0) rows.push(`| \`${name}\` | section | | ${node.doc} |`);
    for (const [key, child] of Object.entries(node.fields)) walk(child, [...path, key]);
  };
  walk(tree, []);
  return rows.join('\n') + '\n';
}
