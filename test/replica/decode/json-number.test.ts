// readNumber against JSON.parse: the same double, bit for bit (and -0), for short and long
// decimals, exponents, and the numbers at the edges of float and double; grammar errors refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/common/random.js';
import { numberCell, readNumber } from '../../../src/replica/decode/json-number.js';

/** readNumber's value for all of `text`, or undefined when it refuses or stops early. */
function read(text: string, float32 = false): number | undefined {
  const b = Buffer.from(text, 'latin1');
  const end = readNumber(b, new DataView(b.buffer, b.byteOffset, b.length), 0, b.length, float32);
  return end === b.length ? numberCell.value : undefined;
}

const same = (text: string) => {
  const want = JSON.parse(text) as number;
  const got = read(text);
  assert.ok(Object.is(got, want), `${text}: got ${got}, JSON.parse gives ${want}`);
  // Into a Float32Array: what a store of JSON.parse's double keeps.
  const got32 = Math.fround(read(text, true)!);
  assert.ok(Object.is(got32, Math.fround(want)), `${text} as float32: got ${got32}, want ${Math.fround(want)}`);
};

test('edge numbers read as JSON.parse reads them', () => {
  for (const t of [
    '0',
    '-0',
    '-0.0',
    '0e5',
    '-0E-5',
    '0.000',
    '1',
    '-1',
    '10',
    '123.456',
    '-123.456e-3',
    '1E+2',
    '1e22',
    '1e23',
    '9007199254740993',
    '123456789012345',
    '1234567890123456',
    '0.1',
    '0.30000000000000004',
    '1e-22',
    '1e-23',
    '3.4028235e38',
    '3.4028236e38',
    '1e39',
    '1.401298464324817e-45',
    '7e-46',
    '1e-320',
    '4.9e-324',
    '2e-324',
    '1.7976931348623157e308',
    '1.7976931348623159e308',
    '1e309',
    '-1e309',
    '2.2250738585072014e-308',
    '123456789012345678901234567890',
    '0.000000000000000000000000001',
    '1e-400',
    '1e99999999999',
    '5e-1',
    '0.00001234567890123',
    '-0.123456',
    '99999999999999999999e-20',
    '1.00000000000000000000',
  ])
    same(t);
});

test('random decimals and exponents read as JSON.parse reads them', () => {
  const random = seededRandom(27);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  for (let k = 0; k < 40000; k++) {
    const int = random() < 0.3 ? '0' : String(1 + Math.floor(random() * 9)) + digits(Math.floor(random() * 12));
    const frac = random() < 0.6 ? `.${digits(1 + Math.floor(random() * 19))}` : '';
    const exp =
      random() < 0.4 ? `${random() < 0.5 ? 'e' : 'E'}${['', '+', '-'][k % 3]}${Math.floor(random() * 60)}` : '';
    same(`${random() < 0.5 ? '-' : ''}${int}${frac}${exp}`);
  }
  // The shortest text of random doubles and floats (what JSON.stringify sends).
  for (let k = 0; k < 20000; k++) {
    const v = (random() - 0.5) * 10 ** Math.floor(random() * 80 - 40);
    same(JSON.stringify(v));
    if (Number.isFinite(Math.fround(v))) same(JSON.stringify(Math.fround(v)));
  }
});

test('into float32, long decimals at and next to float32 rounding boundaries round as JSON.parse then fround', () => {
  const random = seededRandom(32);
  const f32 = new Float32Array(2);
  const bits = new Uint32Array(f32.buffer);
  for (let k = 0; k < 20000; k++) {
    bits[0] = Math.floor(random() * 0x7f000000) + (random() < 0.5 ? 0x80000000 : 0);
    bits[1] = bits[0]! + 1;
    const mid = (f32[0]! + f32[1]!) / 2; // a double exactly halfway between two floats
    for (const v of [mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -52), mid * (1 + 2 ** -40)]) {
      same(String(v));
      same(v.toPrecision(17));
      same(v.toPrecision(19));
      same(v.toExponential(18));
    }
  }
});

test('what JSON does not call a number is refused or ends before the bad byte', () => {
  for (const t of ['', '-', '+1', '.5', '1.', '1e', '1e+', '-e1', 'NaN', 'Infinity', '-Infinity', '0x10', '1.e5'])
    assert.equal(read(t), undefined, t);
  // Stops after the number: the caller refuses whatever follows it.
  const b = Buffer.from('01');
  assert.equal(readNumber(b, new DataView(b.buffer, b.byteOffset, b.length), 0, b.length), 1);
  const at = (text: string, end: number) => {
    const t = Buffer.from(text);
    return readNumber(t, new DataView(t.buffer, t.byteOffset, t.length), 0, end);
  };
  // A number running on past the end of the JSON part (into the binary part) is refused.
  assert.equal(at('12.3456,5', 4), -1);
  assert.equal(at('12,5', 2), 2);
  assert.equal(numberCell.value, 12);
});
