// SVG and HTML text helpers (report): escaping and element strings, so every plot is plain markup
// written into the page (no DOM, no client-side script).

/** Escapes text for HTML/SVG content and attribute values. */
export function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `<tag a="1">children</tag>`; attributes with undefined values are left out, values escaped; children are markup (escape text with esc). */
export function el(
  tag: string,
  attrs: Record<string, string | number | undefined>,
  children: string | string[] = '',
): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v!)}"`)
    .join('');
  const inner = Array.isArray(children) ? children.join('') : children;
  return `<${tag}${a}>${inner}</${tag}>`;
}

/** A number rounded for coordinates (two decimals is plenty for a screen). */
export function px(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Ten distinguishable colours (Tableau 10), used in series order. */
export const palette = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
