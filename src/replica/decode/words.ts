// Strings a request spells again and again (data plane, replica): keys, tensor names, datatypes,
// recognised in the body bytes so that the byte scan makes no new string for them.
import type { ServedModel } from '../served-model.js';

/** The keys of a request (and of its inputs) that the scan reads. */
export const KEYS = ['id', 'parameters', 'inputs', 'outputs', 'name', 'shape', 'datatype', 'data'];
/** Per model: its tensor names and datatypes. */
const modelWords = new WeakMap<ServedModel, string[]>();
export function wordsOf(model: ServedModel): string[] {
  let words = modelWords.get(model);
  if (words === undefined) {
    words = [...new Set([...model.inputs, ...model.outputs].flatMap((t) => [t.name, t.dt.name]))];
    modelWords.set(model, words);
  }
  return words;
}

/** The one of `words` (ASCII) that bytes [s, e) spell, or undefined. */
export function known(b: Buffer, s: number, e: number, words: readonly string[]): string | undefined {
  next: for (const w of words) {
    if (w.length !== e - s) continue;
    for (let k = 0; k < w.length; k++) if (b[s + k] !== w.charCodeAt(k)) continue next;
    return w;
  }
  return undefined;
}
