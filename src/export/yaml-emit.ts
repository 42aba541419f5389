// A small YAML writer for plain data (export plane, pure): maps, lists, strings, numbers, booleans.
// Kubernetes objects and Ray configs need nothing more; the `yaml` library stays behind profile/
// and model/, and the tests read every file back with it.

type Plain = string | number | boolean | null | undefined | Plain[] | { [key: string]: Plain };

/** Strings that read back as the same string without quotes (no YAML 1.1/1.2 booleans, numbers or nulls). */
const SAFE = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} as YAML`);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  return SAFE.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
}

function key(k: string): string {
  return SAFE.test(k) && !RESERVED.test(k) ? k : JSON.stringify(k);
}

function isScalar(v: Plain): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function emit(v: Plain, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (item === undefined) continue;
      if (isScalar(item)) out.push(`${indent}- ${scalar(item)}`);
      else if (Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0)
        out.push(`${indent}- ${Array.isArray(item) ? '[]' : '{}'}`);
      else {
        // The first line of a nested block goes after the dash; the rest are indented under it.
        const inner: string[] = [];
        emit(item, `${indent}  `, inner);
        out.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
      }
    }
    return;
  }
  for (const [k, item] of Object.entries(v as Record<string, Plain>)) {
    if (item === undefined) continue;
    if (isScalar(item)) out.push(`${indent}${key(k)}: ${scalar(item)}`);
    else if (Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0)
      out.push(`${indent}${key(k)}: ${Array.isArray(item) ? '[]' : '{}'}`);
    else {
      out.push(`${indent}${key(k)}:`);
      emit(item, Array.isArray(item) ? indent : `${indent}  `, out);
    }
  }
}

/**
 * One YAML document for `doc` (a map), with `header` lines as comments on top. Undefined values are
 * left out, as JSON.stringify leaves them out.
 */
export function yamlDocument(doc: Record<string, unknown>, header: readonly string[] = []): string {
  const out = header.map((line) => (line ? `# ${line}` : '#'));
  emit(doc as Plain, '', out);
  return out.join('\n') + '\n';
}

/** Several documents in one file, separated by `---`. */
export function yamlDocuments(docs: ReadonlyArray<Record<string, unknown>>, header: readonly string[] = []): string {
  return docs.map((d, i) => (i === 0 ? yamlDocument(d, header) : `---\n${yamlDocument(d)}`)).join('');
}
