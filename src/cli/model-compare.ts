// `serve model compare` (cli): parses flags, runs the comparison of src/model/compare/, and renders
// it as a compact side-by-side table or JSON; below --min-agreement it exits 1. Registered by cli/model.ts.
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../common/exit-codes.js';
import { parseFraction } from '../common/units.js';
import { COMPARE_DEFAULTS, compareModels, type CompareReport } from '../model/compare/compare.js';
import { DEFAULT_REGISTRY_DIR } from '../model/registry.js';
import { action } from './errors.js';
import { printJson } from './output.js';
import { compactTable } from './table.js';

interface CompareFlags {
  registry: string;
  requests?: string;
  rows?: number;
  seed: number;
  minAgreement?: number;
  throughputMs: number;
  json?: boolean;
}

function wholeNumber(flag: string, min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`${flag} expects a whole number >= ${min}, got "${value}"`);
    return Number(value);
  };
}

function fraction(value: string): number {
  try {
    return parseFraction(value);
  } catch (err) {
    throw new InvalidArgumentError(`--min-agreement: ${(err as Error).message}`);
  }
}

/** Adds `serve model compare` to the `serve model` command. */
export function registerCompare(model: Command): void {
  model
    .command('compare')
    .description(
      'Run two versions on the same rows: agreement of the predicted class, output ' +
        'differences, file size and throughput.',
    )
    .argument('<a>', 'the reference version, e.g. cnn-lstm@1')
    .argument('<b>', 'the version judged against it, e.g. cnn-lstm@2')
    .option('--registry <dir>', 'model registry folder', DEFAULT_REGISTRY_DIR)
    .option(
      '--requests <file>',
      'rows from recorded infer requests (JSON lines, as serve bench --requests reads) ' +
        'instead of seeded random rows',
    )
    .option(
      '--rows <n>',
      `seeded rows to compare (default ${COMPARE_DEFAULTS.rows}); with --requests, ` +
        `the most rows taken from the file`,
      wholeNumber('--rows', 1),
    )
    .option('--seed <n>', 'seed of the random rows', wholeNumber('--seed', 0), COMPARE_DEFAULTS.seed)
    .option('--min-agreement <percent>', 'gate: exit 1 when fewer predictions agree, e.g. 99%', fraction)
    .option(
      '--throughput-ms <ms>',
      'time each model runs at each batch size for throughput; 0 skips it',
      wholeNumber('--throughput-ms', 0),
      COMPARE_DEFAULTS.throughputMs,
    )
    .option('--json', 'print the comparison as JSON (agreement as a fraction 0..1)')
    .addHelpText(
      'after',
      `
Examples:
  $ serve model compare cnn-lstm@1 cnn-lstm@2
  $ serve model ` +
        `compare cnn-lstm@1 cnn-lstm@2 --min-agreement 99% --throughput-ms 0
  $ serve ` +
        `model compare cnn-lstm@1 cnn-lstm@2 --requests recorded.jsonl --json

The ` +
        `predicted class is the argmax over the last axis of the first output. ` +
        `Throughput is rows per
second of one ONNX Runtime session on one thread at ` +
        `batch 1, 8 and 32.
Exit codes: 0 compared (and the gate passed), 1 agreement ` +
        `below --min-agreement, 2 bad flags or models.`,
    )
    .action(
      action(async (refA: string, refB: string, flags: CompareFlags) => {
        const report = await compareModels(flags.registry, refA, refB, {
          rows: flags.rows,
          seed: flags.seed,
          requestsFile: flags.requests,
          minAgreement: flags.minAgreement,
          throughputMs: flags.throughputMs,
        });
        if (flags.json) printJson(compareJson(report));
        else process.stdout.write(renderCompare(report));
        return report.passed ? ExitCode.Ok : ExitCode.TargetMissed;
      }),
    );
}

/** The report as `--json` prints it: `agreement` is the fraction 0..1 of agreeing predictions. */
export function compareJson(r: CompareReport): Record<string, unknown> {
  const { agreement: g } = r;
  return {
    a: r.a,
    b: r.b,
    rows: r.rows,
    source: r.source,
    agreement: g.agreement,
    agreeing: g.agreeing,
    predictions: g.predictions,
    classOutput: g.classOutput,
    classCounts: g.classCounts,
    maxAbsDiff: g.maxAbsDiff,
    meanAbsDiff: g.meanAbsDiff,
    outputs: g.outputs,
    ...(r.minAgreement === undefined ? {} : { minAgreement: r.minAgreement }),
    passed: r.passed,
    throughputMs: r.throughputMs,
  };
}

// Two places where one decimal would round a failing 99.96% up to 100.0%.
const pct = (f: number) => `${(f * 100).toFixed(f < 1 && f >= 0.9995 ? 2 : 1)}%`;
const kib = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (b: number | undefined, a: number | undefined) => (a && b !== undefined ? `${(b / a).toFixed(2)}x` : '-');
const diff = (v: number) => (v === 0 ? '0' : v >= 0.01 ? v.toFixed(4) : v.toExponential(2));

/** The comparison for people: one table side by side, then agreement and the gate. */
export function renderCompare(r: CompareReport): string {
  const g = r.agreement;
  const rows: (string | number)[][] = [
    ['file size', kib(r.a.onnxBytes), kib(r.b.onnxBytes), ratio(r.b.onnxBytes, r.a.onnxBytes)],
  ];
  if (r.throughputMs > 0)
    r.a.throughput.forEach((ta, i) => {
      const tb = r.b.throughput[i]!;
      const fmt = (v: number | undefined) => (v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));
      rows.push([
        `rows/s batch ${ta.batch}`,
        fmt(ta.rowsPerSec),
        fmt(tb.rowsPerSec),
        ratio(tb.rowsPerSec, ta.rowsPerSec),
      ]);
    });
  const lines = [
    `${r.a.ref} vs ${r.b.ref}: ${r.rows} rows, ${r.source}`,
    '',
    compactTable(['', r.a.ref, r.b.ref, 'b/a'], rows),
    '',
    `agreement:  ${pct(g.agreement)} (${g.agreeing} of ${g.predictions} predicted ` +
      `classes of "${g.classOutput}" agree)`,
    `abs diff:   max ${diff(g.maxAbsDiff)}, mean ${diff(g.meanAbsDiff)} over every ` + `output value`,
    `classes:    ${r.a.ref} ${g.classCounts.a.join(' / ')}; ${r.b.ref} ` +
      `${g.classCounts.b.join(' / ')} (predictions per class)`,
  ];
  if (g.predictions > 1 && g.classCounts.a.filter((n) => n > 0).length === 1) {
    lines.push(
      `note:       ${r.a.ref} predicts the same class for every row, so agreement ` +
        `alone says little; the differences above and --requests with recorded rows say more`,
    );
  }
  if (r.throughputMs === 0) lines.push('throughput: skipped (--throughput-ms 0)');
  if (r.minAgreement !== undefined)
    lines.push(
      `gate:       ${r.passed ? 'passed' : 'FAILED'}: ${pct(g.agreement)} ` +
        `${r.passed ? '>=' : '<'} --min-agreement ${pct(r.minAgreement)}`,
    );
  return `${lines.join('\n')}\n`;
}
