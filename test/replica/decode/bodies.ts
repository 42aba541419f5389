// Generated OIP v2 infer bodies for the byte scan's differential test: valid ones in any key order
// and whitespace with many spellings of numbers, and broken ones made from them.
import type { ModelSpec } from '../../../src/model/spec.js';

export const specA: ModelSpec = {
  name: 'a',
  version: 1,
  description: 'test',
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [-1, 2, 2] },
    { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
  ],
  outputs: [
    { name: 'y', datatype: 'FP32', shape: [-1, 1] },
    { name: 'z', datatype: 'FP32', shape: [-1, 2] },
  ],
  preprocessing: { normalize: { input: 'a', mean: [1, 2], std: [2, 4] } },
};

export const specB: ModelSpec = {
  name: 'b',
  version: 1,
  description: 'test',
  inputs: [
    { name: 'x', datatype: 'FP64', shape: [-1, 3] },
    { name: 'k', datatype: 'INT32', shape: [-1, 2, 1] },
    { name: 'flag', datatype: 'BOOL', shape: [-1, 2] },
    { name: 'u8', datatype: 'UINT8', shape: [-1] },
  ],
  outputs: [{ name: 'o', datatype: 'FP32', shape: [-1, 1] }],
};

type Random = () => number;
const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const FLOAT_TEXTS = [
  '0',
  '-0',
  '-0.0',
  '0e5',
  '1E+2',
  '-1.5e-3',
  '3.4028235e38',
  '3.5e38',
  '1e39',
  '1e-45',
  '7e-46',
  '1e-320',
  '1.7976931348623157e308',
  '1e309',
  '123456789012345678901',
  '0.30000000000000004',
  '2.5',
  '-7',
  '1e22',
];
const INT_TEXTS = [
  '0',
  '-0',
  '1',
  '-1',
  '3',
  '1e2',
  '1.0',
  '2.5',
  '255',
  '256',
  '-129',
  '2147483648',
  '9007199254740993',
];
const SPACES = ['', '', '', ' ', '\n', '\t', '\r\n  '];

/** A number's JSON text for a tensor of `datatype`. */
function numberText(random: Random, datatype: string): string {
  const r = random();
  if (datatype === 'BOOL') return r < 0.97 ? pick(random, ['0', '1']) : pick(random, ['2', '0.5', 'true', 'false']);
  if (!datatype.startsWith('FP')) return r < 0.97 ? String(Math.floor(random() * 7)) : pick(random, INT_TEXTS);
  if (r < 0.6) return String(Math.round((random() * 2 - 1) * 1e6) / 1e6);
  if (r < 0.75) return String((random() - 0.5) * 10 ** Math.floor(random() * 60 - 30));
  if (r < 0.97)
    return `${Math.floor(random() * 1e6)}${pick(random, ['e', 'E'])}${pick(random, ['', '+', '-'])}${Math.floor(random() * 30)}`;
  return pick(random, FLOAT_TEXTS);
}

/** JSON text of `value` with random whitespace; `raw` strings are written as they are. */
export class Writer {
  constructor(readonly random: Random) {}
  ws(): string {
    return pick(this.random, SPACES);
  }
  obj(members: Array<[string, string]>): string {
    const w = () => this.ws();
    return `{${w()}${members.map(([k, v]) => `${k}${w()}:${w()}${v}`).join(`${w()},${w()}`)}${w()}}`;
  }
  arr(items: string[]): string {
    return `[${this.ws()}${items.join(`${this.ws()},${this.ws()}`)}${this.ws()}]`;
  }
}

interface TensorShape {
  name: string;
  datatype: string;
  rowShape: number[];
}

/** One input object (members shuffled) with `rows` rows of data, flat or nested as the shape. */
function inputText(wr: Writer, t: TensorShape, rows: number): string {
  const random = wr.random;
  const shape = [rows, ...t.rowShape];
  const count = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, () => numberText(random, t.datatype));
  let at = 0;
  const nest = (d: number): string =>
    d === shape.length ? values[at++]! : wr.arr(Array.from({ length: shape[d]! }, () => nest(d + 1)));
  const data = random() < 0.7 ? wr.arr(values) : nest(0);
  const members: Array<[string, string]> = [
    ['"name"', JSON.stringify(t.name)],
    ['"datatype"', JSON.stringify(t.datatype)],
    [
      '"shape"',
      wr.arr(shape.map((d, i) => (i === 0 && random() < 0.05 ? pick(random, [`${d}.0`, `${d}e0`]) : String(d)))),
    ],
    ['"data"', data],
  ];
  if (random() < 0.2)
    members.push(['"parameters"', pick(random, ['{}', '{"content_type": "x"}', '{"a":[1,{"b":null}]}'])]);
  if (random() < 0.03) members.push(['"extra\\u0041"', '[1, "]", {"}": 2}]']);
  if (random() < 0.1) members.push(['"naïve"', '"é"']);
  return wr.obj(shuffle(random, members));
}

function shuffle<T>(random: Random, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** A valid-looking JSON request for `tensors` (it may still be refused: values out of range, Infinity). */
export function validBody(random: Random, tensors: readonly TensorShape[], outputs: readonly string[]): string {
  const wr = new Writer(random);
  const rows = random() < 0.95 ? 1 + Math.floor(random() * 3) : 5;
  const members: Array<[string, string]> = [
    ['"inputs"', wr.arr(shuffle(random, [...tensors]).map((t) => inputText(wr, t, rows)))],
  ];
  if (random() < 0.3) members.push(['"id"', pick(random, ['"r1"', '"\\u00e9\\n"', '"ünï"', '""', '7'])]);
  if (random() < 0.2) members.push(['"parameters"', pick(random, ['{"binary_data_output": true}', '{}', '[]'])]);
  if (random() < 0.2)
    members.push(['"outputs"', wr.arr([wr.obj([['"name"', JSON.stringify(pick(random, outputs))]])])]);
  if (random() < 0.1) members.push(['"other"', '{"inputs": 5}']);
  return `${wr.ws()}${wr.obj(shuffle(random, members))}${wr.ws()}`;
}

const BAD_TOKENS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '+1',
  '.5',
  '1.',
  '01',
  '-',
  '1e',
  '0x10',
  'true',
  'null',
  '"1"',
  '[]',
];

/** `text` broken one way: truncated, garbage after it, a bad token, a duplicate key, a value too many or too few. */
export function breakBody(random: Random, text: string): string {
  const at = Math.floor(random() * text.length);
  switch (Math.floor(random() * 7)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text + pick(random, ['x', '}', ',{}', ' 1', ']']);
    case 2: {
      const m = /-?\d+(\.\d+)?([eE][+-]?\d+)?/g;
      const hits = [...text.matchAll(m)];
      const hit = hits.length ? pick(random, hits) : undefined;
      if (!hit) return text;
      return text.slice(0, hit.index) + pick(random, BAD_TOKENS) + text.slice(hit.index! + hit[0].length);
    }
    case 3: {
      const key = pick(random, ['"name"', '"shape"', '"datatype"', '"data"', '"inputs"', '"id"', '"parameters"']);
      const k = text.indexOf(`${key}`);
      if (k < 0) return text;
      const dup = key === '"data"' ? '"data": [1,2],' : key === '"name"' ? '"name": "a",' : `${key}: "d",`;
      return text.slice(0, k) + dup + text.slice(k);
    }
    case 4: {
      const k = text.indexOf('"data"');
      const open = k < 0 ? -1 : text.indexOf('[', k);
      if (open < 0) return text;
      return random() < 0.5
        ? `${text.slice(0, open + 1)}1, ${text.slice(open + 1)}`
        : text.replace(/\[\s*-?[\d.eE+-]+\s*,/, '[');
    }
    case 5: {
      // Ragged: one inner closing bracket moved.
      const k = text.indexOf('],');
      return k < 0 ? text : `${text.slice(0, k)},0${text.slice(k)}`;
    }
    default:
      return (
        text.slice(0, at) + pick(random, ['{', '}', '[', ']', ',', ':', '"', '\\', '\u0001', 'é']) + text.slice(at)
      );
  }
}
