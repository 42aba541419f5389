// A minimal scan of a JSON object's top level (gateway cache, data plane): where one member is
// (its key, value and a neighbouring comma), without building any object, so the cache can key a
// request by everything but its "id" and answer a hit with the asker's own id.
import {
  BACKSLASH,
  CLOSE_ARR,
  CLOSE_OBJ,
  COLON,
  COMMA,
  isSpace,
  OPEN_ARR,
  OPEN_OBJ,
  QUOTE,
} from '../../common/data-plane/json-bytes.js';

/** Byte range of one top-level member, with one neighbouring comma: cutting it leaves valid JSON. */
export interface MemberSpan {
  /** First byte of the cut (the member's key, or the comma before it). */
  start: number;
  /** One past the last byte of the cut. */
  end: number;
  /** The member's value as written (raw JSON text: `"r1"`, `7`, `null`). */
  valueStart: number;
  valueEnd: number;
}

/** What a scan found: `undefined` member when absent; `ok: false` when the text is not one plain JSON object. */
export type ScanResult = { ok: true; member: MemberSpan | undefined; openAt: number } | { ok: false };

/** Index just past the string whose opening quote is at `i`, or -1. */
function skipString(b: Uint8Array, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j]!;
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/** Index just past the value starting at `i` (string, number, literal, object or array), or -1. */
function skipValue(b: Uint8Array, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i, end);
  if (c === OPEN_OBJ || c === OPEN_ARR) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const d = b[j]!;
      if (d === QUOTE) {
        j = skipString(b, j, end) - 1;
        if (j < 0) return -1;
      } else if (d === OPEN_OBJ || d === OPEN_ARR) depth++;
      else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < end && b[j] !== COMMA && b[j] !== CLOSE_OBJ && !isSpace(b[j]!)) j++;
  return j > i ? j : -1;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(b[i]!)) i++;
  return i;
}

/** True when the key whose quoted text spans [s, e) is exactly `name` (ASCII, no escapes). */
function keyIs(b: Uint8Array, s: number, e: number, name: string): boolean {
  if (e - s !== name.length + 2) return false;
  for (let k = 0; k < name.length; k++) if (b[s + 1 + k] !== name.charCodeAt(k)) return false;
  return true;
}

/** Index of the last non-space byte before `end`, or -1. */
function lastNonSpace(b: Uint8Array, end: number): number {
  let j = end - 1;
  while (j >= 0 && isSpace(b[j]!)) j--;
  return j;
}

/**
 * Finds the top-level member `name` of the JSON object in b[0, end). A second member of that name
 * makes the result not ok (JSON.parse would take the last; the cache does not guess). When the
 * quoted name appears nowhere (most requests carry no id), or not after the member found, the rest
 * is not walked: the bytes are only checked to open and close an object (the replica validates
 * them, and a request it refuses is never cached).
 */
export function findTopLevelMember(b: Uint8Array, name: string, end = b.length): ScanResult {
  let i = skipSpace(b, 0, end);
  if (b[i] !== OPEN_OBJ || b[lastNonSpace(b, end)] !== CLOSE_OBJ) return { ok: false };
  const openAt = i;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const quoted = `"${name}"`;
  const nextMention = (from: number) => {
    const at = buf.indexOf(quoted, from, 'latin1');
    return at >= 0 && at < end ? at : -1;
  };
  if (nextMention(i) < 0) return { ok: true, member: undefined, openAt };
  i = skipSpace(b, i + 1, end);
  let member: MemberSpan | undefined;
  let prevComma = -1;
  if (b[i] === CLOSE_OBJ) return skipSpace(b, i + 1, end) === end ? { ok: true, member, openAt } : { ok: false };
  for (;;) {
    if (b[i] !== QUOTE) return { ok: false };
    const keyStart = i;
    const keyEnd = skipString(b, i, end);
    if (keyEnd < 0) return { ok: false };
    i = skipSpace(b, keyEnd, end);
    if (b[i] !== COLON) return { ok: false };
    const valueStart = skipSpace(b, i + 1, end);
    const valueEnd = skipValue(b, valueStart, end);
    if (valueEnd < 0) return { ok: false };
    i = skipSpace(b, valueEnd, end);
    const found = keyIs(b, keyStart, keyEnd, name);
    if (found && member !== undefined) return { ok: false };
    if (b[i] === COMMA) {
      if (found) {
        member = { start: keyStart, end: skipSpace(b, i + 1, end), valueStart, valueEnd };
        if (nextMention(i) < 0) return { ok: true, member, openAt };
      }
      prevComma = i;
      i = skipSpace(b, i + 1, end);
      continue;
    }
    if (b[i] !== CLOSE_OBJ || skipSpace(b, i + 1, end) !== end) return { ok: false };
    if (found) member = { start: prevComma >= 0 ? prevComma : keyStart, end: valueEnd, valueStart, valueEnd };
    return { ok: true, member, openAt };
  }
}
