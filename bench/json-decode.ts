// Benchmark (issue 27, decode once): parse time per demo-model infer request, the JSON.parse path
// (as before) against the byte scan into typed arrays, for single-row and 8-row JSON bodies and, for
// the binary extension, a body joined as readBody did (Buffer.concat) against one joined aligned.
// Blocks A B A B in one process; CPU µs per request (process.cpuUsage: steadier than wall time on a
// shared machine), and the speed-up of the means.
// Writes bench/results/json-decode.{json,md}. Usage: node dist/bench/json-decode.js [--ms 1500]
import { parseArgs } from 'node:util';
import { buildDemoModel } from '../src/model/demo.js';
import { encodeRequest } from '../src/loadtest/payload.js';
import { randomValues } from '../src/loadtest/tensors.js';
import { seededRandom } from '../src/common/random.js';
import { joinChunks } from '../src/replica/http-io.js';
import type { ParseLimits } from '../src/replica/infer-request.js';
import { parseInfer, parseInferWithJsonParse } from '../src/replica/parse-infer.js';
import { compileModel, type ServedModel } from '../src/replica/served-model.js';
import { machine, writeResults } from './replica-harness.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '1500' } } });
const blockMs = Number(values.ms);
const spec = buildDemoModel().spec;
const withNormalize = compileModel(spec);
// Binary tensors are viewed in place by the scan path, and normalization writes into them: leave it
// out there so that repeated parses of one body see the same bytes.
const plain = compileModel({ ...spec, preprocessing: undefined });
const limits: ParseLimits = { maxRowsPerRequest: 64, allowNonFinite: false, maxJsonDepth: 64 };
const [T, F] = spec.inputs[0]!.shape.slice(1) as [number, number];

interface Body {
  chunks: Buffer[];
  headerLength: number | undefined;
}

/** `long`: float32 values written as doubles (17 digits, as numpy's tolist() of a float32 array gives). */
function bodies(rows: number, binary: boolean, long = false): Body[] {
  const random = seededRandom(rows);
  return Array.from({ length: 32 }, () => {
    const data = long
      ? Array.from({ length: rows * T * F }, () => Math.fround(random() * 2 - 1))
      : (randomValues('FP32', rows * T * F, random) as number[]);
    const p = encodeRequest([{ name: spec.inputs[0]!.name, shape: [rows, T, F], datatype: 'FP32', data }], binary);
    const len = p.headers['inference-header-content-length'];
    const headerLength = len === undefined ? undefined : Number(len);
    // As the socket delivers it: 16 KiB chunks.
    const chunks: Buffer[] = [];
    for (let at = 0; at < p.body.length; at += 16384) chunks.push(Buffer.from(p.body.subarray(at, at + 16384)));
    return { chunks, headerLength };
  });
}

type Way = 'JSON.parse' | 'scan';
function run(way: Way, list: Body[], model: ServedModel): number {
  const parse = way === 'scan' ? parseInfer : parseInferWithJsonParse;
  const join = (b: Body) => {
    const total = b.chunks.reduce((n, c) => n + c.length, 0);
    if (b.chunks.length === 1) return b.chunks[0]!;
    if (way === 'scan' && b.headerLength !== undefined) return joinChunks(b.chunks, total, b.headerLength);
    return Buffer.concat(b.chunks, total);
  };
  let n = 0;
  let sink = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const stop = start + BigInt(blockMs) * 1_000_000n;
  let now = start;
  while (now < stop) {
    for (const b of list) sink += parse(join(b), b.headerLength, model, limits).inputs[0]![7] as number;
    n += list.length;
    now = process.hrtime.bigint();
  }
  if (Number.isNaN(sink)) throw new Error('unexpected NaN');
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

const cases = [
  { name: 'JSON, 1 row', list: bodies(1, false), model: withNormalize },
  { name: 'JSON, 8 rows', list: bodies(8, false), model: withNormalize },
  { name: 'JSON, 1 row, 17-digit values', list: bodies(1, false, true), model: withNormalize },
  { name: 'binary, 1 row', list: bodies(1, true), model: plain },
  { name: 'binary, 8 rows', list: bodies(8, true), model: plain },
];
const rows = [];
for (const c of cases) {
  const blocks: Record<Way, number[]> = { 'JSON.parse': [], scan: [] };
  run('JSON.parse', c.list, c.model); // warm-up of both
  run('scan', c.list, c.model);
  for (const way of ['JSON.parse', 'scan', 'JSON.parse', 'scan'] as const) blocks[way].push(run(way, c.list, c.model));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const bytes = c.list[0]!.chunks.reduce((n, ch) => n + ch.length, 0);
  const row = { case: c.name, bytes, jsonParseUs: blocks['JSON.parse'], scanUs: blocks.scan };
  rows.push({ ...row, speedup: mean(row.jsonParseUs) / mean(row.scanUs) });
  console.log(
    `${c.name}: JSON.parse ${row.jsonParseUs.map((x) => x.toFixed(1)).join('/')} µs, scan ` +
      `${row.scanUs.map((x) => x.toFixed(1)).join('/')} µs`,
  );
}
const when = new Date().toISOString();
const md = [
  '# Infer body parse time: JSON.parse path against the byte scan (demo model)',
  '',
  `${when}, ${machine()}, under nice -n 19 on a shared machine (rough): CPU time of the process ` +
    '(user + system) per request, so time spent waiting for a core is left out.',
  '',
  `parseInfer per request of the demo model (${T}x${F} FP32 a row, loadgen's values with 6 decimals, or ` +
    `float32 values printed as doubles), 32 distinct bodies ` +
    `cycled, ${blockMs} ms blocks in the order A B A B after a warm-up of each. Binary bodies arrive in 16 KiB ` +
    'chunks: the old path joins them with Buffer.concat (the tensor then copied again where unaligned), the ' +
    'new one with joinChunks (aligned, viewed); the join is timed with the parse.',
  '',
  '| body | bytes | JSON.parse CPU µs (A, A) | scan CPU µs (B, B) | speed-up |',
  '|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.case} | ${r.bytes} | ${r.jsonParseUs.map((x) => x.toFixed(1)).join(', ')} | ` +
      `${r.scanUs.map((x) => x.toFixed(1)).join(', ')} | ${r.speedup.toFixed(2)}x |`,
  ),
  '',
].join('\n');
await writeResults('json-decode', { when, machine: machine(), blockMs, rows }, md);
console.log(md);
