// Writing values back into a profile's YAML text (control plane): the yaml library's Document API
// finds each field, and a value already written is replaced in place in the original text, so
// comments, key order, spacing and everything else stay byte for byte (`serve tune --write`). A field
// the file lacks is added with the Document API (at the end of its section). The caller checks the
// result with parseProfile.
import { isMap, isScalar, parseDocument, type Document, type Scalar } from 'yaml';
import { ProfileError } from './problems.js';

/** One field to set: its YAML path ("batching", "max_batch_size") and the value as YAML would hold it. */
export interface ProfileEdit {
  path: readonly string[];
  value: string | number | boolean;
}

/** The profile text with every edit applied. */
export function editProfileText(text: string, edits: readonly ProfileEdit[], file = '<profile>'): string {
  const doc = parse(text, file);
  const splices: Array<{ from: number; to: number; text: string }> = [];
  const missing: ProfileEdit[] = [];
  for (const edit of edits) {
    const node = doc.getIn(edit.path, true);
    if (isScalar(node) && node.range)
      splices.push({ from: node.range[0], to: node.range[1], text: scalarText(node, edit.value) });
    else missing.push(edit);
  }
  let out = text;
  for (const s of splices.sort((a, b) => b.from - a.from)) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  if (missing.length === 0) return out;
  const rest = parse(out, file);
  for (const edit of missing) rest.setIn(edit.path, edit.value);
  return rest.toString({ lineWidth: 0 });
}

function parse(text: string, file: string): Document {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ProfileError(file, [
      {
        file,
        line: e.linePos?.[0]?.line ?? 1,
        col: e.linePos?.[0]?.col ?? 1,
        path: '',
        message: `YAML syntax error: ${e.message}`,
      },
    ]);
  }
  if (!isMap(doc.contents))
    throw new ProfileError(file, [{ file, line: 1, col: 1, path: '', message: 'expected a mapping at the top level' }]);
  return doc;
}

/** `value` written where `old` was: a string keeps the old quoting (plain when it was plain); numbers and booleans plain. */
function scalarText(old: Scalar, value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  if (old.type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (old.type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) ? value : JSON.stringify(value);
}
