// A byte scan of an OIP v2 infer request's JSON (data plane, replica): the document JSON.parse would
// give, except that each input's "data" array is read straight into a typed array (see
// data-scan.ts) instead of into JS arrays. Gives up (undefined) on anything it does not handle, and
// the caller then parses the body with JSON.parse as before.
import type { ServedModel } from '../served-model.js';
import { elementCount } from '../tensor.js';
import { scanData, type ScannedData } from './data-scan.js';
import { KEYS, known, wordsOf } from './words.js';
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

/** An input's "data" as scanned: what parse-infer hands decodeScanned instead of a JS array. */
export class ScannedDataRef {
  constructor(readonly scanned: ScannedData) {}
}

type Json = Record<string, unknown>;
/** Thrown (and caught in scanInferBody) wherever the scan gives up. */
const GIVE_UP = new Error('scan gives up');

const dataCell: { value: ScannedData | undefined } = { value: undefined };

/** The scan's position in one body. */
class Scan {
  i = 0;
  /** Strings a request usually holds (names, datatypes): read without making a new string. */
  readonly words: readonly string[];
  constructor(
    readonly b: Buffer,
    readonly end: number,
    readonly model: ServedModel,
  ) {
    this.words = wordsOf(model);
  }

  space(): number {
    const { b, end } = this;
    let i = this.i;
    while (i < end && isSpace(b[i]!)) i++;
    this.i = i;
    return i < end ? b[i]! : -1;
  }

  expect(c: number): void {
    if (this.space() !== c) throw GIVE_UP;
    this.i++;
  }

  /** A key without escapes: one of KEYS, or '' for any other (whose value is then only checked). */
  key(): string {
    if (this.space() !== QUOTE) throw GIVE_UP;
    const { b, end } = this;
    const start = ++this.i;
    let i = start;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c === QUOTE) break;
      if (c === BACKSLASH || c < 0x20) throw GIVE_UP;
    }
    if (i >= end) throw GIVE_UP;
    this.i = i + 1;
    this.expect(COLON);
    return known(b, start, i, KEYS) ?? '';
  }

  /** Index just past the string whose quote is at `i` (escapes skipped, not checked), or -1. */
  private stringEnd(i: number): number {
    const { b, end } = this;
    for (let j = i + 1; j < end; j++) {
      const c = b[j]!;
      if (c === BACKSLASH) j++;
      else if (c === QUOTE) return j + 1;
    }
    return -1;
  }

  /** Any value, through JSON.parse of its own text (a plain ASCII string without it). */
  value(): unknown {
    const c = this.space();
    const { b, end } = this;
    const start = this.i;
    let i: number;
    if (c === QUOTE) {
      i = this.stringEnd(start);
      if (i < 0) throw GIVE_UP;
      let plain = true;
      for (let j = start + 1; j < i - 1 && plain; j++) plain = b[j]! >= 0x20 && b[j]! < 0x7f && b[j] !== BACKSLASH;
      this.i = i;
      if (plain) return known(b, start + 1, i - 1, this.words) ?? b.toString('latin1', start + 1, i - 1);
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      let depth = 0;
      for (i = start; i < end; i++) {
        const d = b[i]!;
        if (d === QUOTE) {
          i = this.stringEnd(i) - 1;
          if (i < 0) throw GIVE_UP;
        } else if (d === OPEN_OBJ || d === OPEN_ARR) depth++;
        else if ((d === CLOSE_OBJ || d === CLOSE_ARR) && --depth === 0) break;
      }
      if (i >= end) throw GIVE_UP;
      i++;
    } else {
      for (i = start; i < end; i++) {
        const d = b[i]!;
        if (d === COMMA || d === CLOSE_OBJ || d === CLOSE_ARR || isSpace(d)) break;
      }
    }
    this.i = i;
    try {
      return JSON.parse(b.toString('utf8', start, i)) as unknown;
    } catch {
      throw GIVE_UP;
    }
  }

  /** A "shape" of plain non-negative integers (`[1, 60, 16]`), or undefined (nothing read: value() decides). */
  dims(): number[] | undefined {
    const { b, end } = this;
    const start = this.i++;
    const dims: number[] = [];
    if (this.empty(CLOSE_ARR)) return dims;
    for (;;) {
      this.space();
      let i = this.i;
      const first = i;
      let d = 0;
      while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39 && i - first < 15) d = d * 10 + (b[i++]! - 0x30);
      this.i = i;
      const c = this.space();
      if (i === first || (b[first] === 0x30 && i - first > 1) || (c !== COMMA && c !== CLOSE_ARR)) {
        this.i = start;
        return undefined;
      }
      dims.push(d);
      this.i++;
      if (c === CLOSE_ARR) return dims;
    }
  }

  /** After a member or element: true for `,`, false for the closing `close`. */
  more(close: number): boolean {
    const c = this.space();
    this.i++;
    if (c === COMMA) return true;
    if (c === close) return false;
    throw GIVE_UP;
  }

  /** Whether the container just opened is empty (and if so, steps past its `close`). */
  empty(close: number): boolean {
    if (this.space() !== close) return false;
    this.i++;
    return true;
  }

  document(): Json {
    this.expect(OPEN_OBJ);
    const doc: Json = {};
    if (this.empty(CLOSE_OBJ)) return doc;
    do {
      const k = this.key();
      if (k === 'id' || k === 'parameters' || k === 'outputs' || k === 'inputs') {
        if (k in doc) throw GIVE_UP; // JSON.parse keeps the last; leave duplicates to it
        doc[k] = k === 'inputs' && this.space() === OPEN_ARR ? this.inputs() : this.value();
      } else this.value();
    } while (this.more(CLOSE_OBJ));
    if (this.space() !== -1) throw GIVE_UP;
    return doc;
  }

  inputs(): unknown[] {
    this.i++;
    const list: unknown[] = [];
    if (this.empty(CLOSE_ARR)) return list;
    do list.push(this.space() === OPEN_OBJ ? this.input() : this.value());
    while (this.more(CLOSE_ARR));
    return list;
  }

  input(): Json {
    this.i++;
    const item: Json = {};
    if (this.empty(CLOSE_OBJ)) return item;
    do {
      const k = this.key();
      if (k === 'name' || k === 'shape' || k === 'datatype' || k === 'parameters' || k === 'data') {
        if (k in item) throw GIVE_UP;
        if (k === 'data' && this.space() === OPEN_ARR) {
          const i = scanData(this.b, this.i, this.end, this.directArray(item), dataCell);
          if (i < 0) throw GIVE_UP;
          this.i = i;
          item.data = new ScannedDataRef(dataCell.value!);
        } else item[k] = (k === 'shape' && this.space() === OPEN_ARR && this.dims()) || this.value();
      } else this.value();
    } while (this.more(CLOSE_OBJ));
    return item;
  }

  /**
   * The float tensor array to read "data" into, when name, datatype and shape came before it and
   * look right (parse-infer still checks them); undefined otherwise (the values go to the scratch).
   */
  private directArray(item: Json): Float32Array | Float64Array | undefined {
    const tensor = typeof item.name === 'string' ? this.model.inputByName.get(item.name) : undefined;
    if (!tensor || !tensor.dt.isFloat || item.datatype !== tensor.dt.name) return undefined;
    const shape = item.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) return undefined;
    const count = elementCount(shape as number[]);
    // A value takes at least two bytes with its separator: a larger count is refused anyway.
    if (count > (this.end - this.i) / 2 + 1) return undefined;
    return new tensor.dt.ctor(count) as Float32Array | Float64Array;
  }
}

/** The request document with ScannedDataRef "data", or undefined where JSON.parse must decide. */
export function scanInferBody(b: Buffer, end: number, model: ServedModel): Json | undefined {
  try {
    return new Scan(b, end, model).document();
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}
