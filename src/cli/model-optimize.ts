// `serve model optimize` (cli): parses flags, runs the optimizer of src/model/optimize/, and renders
// what it wrote. Registered by cli/model.ts.
import { InvalidArgumentError, type Command } from 'commander';
import { optimizeModel, type OptimizeResult } from '../model/optimize/optimize.js';
import { DEFAULT_OPTIMIZE_LEVEL, OPTIMIZE_LEVELS, type OptimizeLevel } from '../model/optimize/ort-optimize.js';
import { QUANTIZABLE_OPS } from '../model/optimize/quantize.js';
import { UserError } from '../common/errors.js';
import { DEFAULT_REGISTRY_DIR } from '../model/registry.js';
import { action } from './errors.js';
import { printJson } from './output.js';

interface OptimizeFlags {
  registry: string;
  int8?: boolean;
  level: OptimizeLevel;
  keepFp32?: string[];
  json?: boolean;
}

function level(value: string): OptimizeLevel {
  if (!(OPTIMIZE_LEVELS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`--level expects one of ${OPTIMIZE_LEVELS.join(', ')}, got "${value}"`);
  return value as OptimizeLevel;
}

function nameList(value: string, previous: string[] = []): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new InvalidArgumentError('--keep-fp32 expects node names or operator types, e.g. LSTM or fc,conv1d');
  return [...previous, ...names];
}

/** Adds `serve model optimize` to the `serve model` command. */
export function registerOptimize(model: Command): void {
  model
    .command('optimize')
    .description(
      'Write the next version of a model: its graph optimized by ONNX Runtime and, ' +
        'with --int8, its weights quantized to INT8.',
    )
    .argument('<model>', 'NAME, NAME@VERSION or NAME@latest: the version to start from')
    .option('--registry <dir>', 'model registry folder', DEFAULT_REGISTRY_DIR)
    .option(
      '--int8',
      `quantize the weights of ${QUANTIZABLE_OPS.join(', ')} to INT8 (dynamic ` +
        `quantization: activations are quantized at run time)`,
    )
    .option(
      '--level <level>',
      `ONNX Runtime graph optimization level: ${OPTIMIZE_LEVELS.join(', ')}`,
      level,
      DEFAULT_OPTIMIZE_LEVEL,
    )
    .option(
      '--keep-fp32 <names>',
      'with --int8: node names or operator types to leave in FP32, comma-separated ' + '(e.g. LSTM or fc)',
      nameList,
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ serve model optimize cnn-lstm@1 --int8                 writes ` +
        `cnn-lstm@2
  $ serve model optimize cnn-lstm@1 --int8 --keep-fp32 fc  leave the ` +
        `head in FP32
  $ serve model compare cnn-lstm@1 cnn-lstm@2 --min-agreement ` +
        `99%

Level "all" adds layout changes that ONNX Runtime ties to this host's CPU: ` +
        `use it only when the
replicas run on the same kind of CPU. Exits 2 when the ` +
        `model cannot be read or optimized.`,
    )
    .action(
      action(async (ref: string, flags: OptimizeFlags) => {
        if (flags.keepFp32 && !flags.int8)
          throw new UserError('--keep-fp32 only applies with --int8: add --int8, or drop --keep-fp32');
        const result = await optimizeModel(flags.registry, ref, {
          level: flags.level,
          int8: flags.int8,
          keepFp32: flags.keepFp32,
        });
        if (flags.json) return printJson(optimizeJson(result));
        process.stdout.write(renderOptimize(result));
      }),
    );
}

/** The result as `--json` prints it. */
export function optimizeJson(r: OptimizeResult): Record<string, unknown> {
  return {
    source: `${r.source.name}@${r.source.version}`,
    written: { name: r.written.name, version: r.written.version, dir: r.written.dir, onnxPath: r.written.onnxPath },
    level: r.level,
    int8: r.int8,
    sourceBytes: r.sourceBytes,
    writtenBytes: r.writtenBytes,
    quantized: r.quantization?.quantized ?? [],
    fp32Kept: r.quantization?.kept ?? [],
    onnxruntime: r.written.spec.optimized?.onnxruntime,
  };
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** What optimize wrote, for people. */
export function renderOptimize(r: OptimizeResult): string {
  const from = `${r.source.name}@${r.source.version}`;
  const to = `${r.written.name}@${r.written.version}`;
  const ort = r.written.spec.optimized?.onnxruntime;
  const lines = [
    `Wrote ${r.written.dir} (model.onnx, model.yaml): ${to}, ${from} optimized by ` +
      `ONNX Runtime${ort ? ` ${ort}` : ''} at level ${r.level}` +
      `${r.int8 ? ' with INT8 weights' : ''}`,
    `  size:       ${kib(r.sourceBytes)} -> ${kib(r.writtenBytes)} (` +
      `${((100 * r.writtenBytes) / r.sourceBytes).toFixed(0)}%)`,
  ];
  if (r.quantization) {
    lines.push(`  INT8:       ` + `${r.quantization.quantized.join(', ') || 'nothing: no node could be quantized'}`);
    lines.push(
      `  FP32 kept:  ` +
        `${r.quantization.kept.length === 0 ? 'none' : r.quantization.kept.map((k) => `${k.node} (${k.reason})`).join(', ')}`,
    );
  }
  lines.push('  check:      ok: ONNX Runtime loads it and it matches model.yaml');
  if (r.level === 'all')
    lines.push(
      '  note:       level all may write CPU-specific operators: serve this version on ' +
        'hosts with the same kind of CPU',
    );
  lines.push(`Compare it with the original: serve model compare ${from} ${to}`);
  return `${lines.join('\n')}\n`;
}
